# mini-nanochat — every command a learner or engineer needs. `make help` lists them.
PYTHON ?= python3
IMPL   ?= learner
TORCH  ?=
EX     ?=
LEVEL  ?=
# optional knobs some targets read (see make help): CONFIG STEPS NPROC DRY PICK LIST JOBS ONLY
CONFIG ?=
STEPS  ?=
NPROC  ?=
DRY    ?=
PICK   ?=
LIST   ?=
JOBS   ?=
ONLY   ?=
CASE   ?=              # make doctor: the case (1..7); FIXED=1 runs its documented fix
FIXED  ?=

.DEFAULT_GOAL := help
.PHONY: help setup test test-all test-reference test-stubs check-stubs check-challenges check-alternatives stubs \
        progress reset restore hint doctor lint format demo demo-gpu speedrun gpu-check train prepare profile scaling \
        bench-model bench-training bench-tokenizer bench-optim mutate clean

help: ## list the commands
	@echo "mini-nanochat — learner loop: read the ADR -> fill the stub -> make phaseX.Y -> exercises"
	@echo ""
	@echo "  make phase0.2            check your code for commit 0.2 (make phase0 = whole phase)"
	@echo "  make phase0.2 IMPL=reference   the same checks on the reference implementation"
	@echo "  make checkpoint0         the phase-0 checkpoint (your code; IMPL=reference for ours)"
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z0-9_.%-]+:.*?## / {printf "  make %-22s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## install the course (editable) with test tools; TORCH=cpu for the CPU-only torch wheel
	@$(PYTHON) -c "import torch" 2>/dev/null || \
	  if [ "$(TORCH)" = "cpu" ]; then $(PYTHON) -m pip install torch --index-url https://download.pytorch.org/whl/cpu; \
	  else $(PYTHON) -m pip install torch; fi
	$(PYTHON) -m pip install -e ".[dev]"

phase%: ## check one commit (make phase0.2) or phase (make phase0) of YOUR code
	@$(PYTHON) -m tools.progress $* --impl $(IMPL)

checkpoint%: ## run a phase checkpoint (make checkpoint0), your code unless IMPL=reference
	@MNC_IMPL=$(IMPL) $(PYTHON) -m checkpoints_exercises.phase$*.checkpoint

progress: ## the whole course at a glance (your code)
	@$(PYTHON) -m tools.progress all --impl $(IMPL)

hint: ## a hint, one level at a time: make hint EX=0.2 (or EX=0.2:merge; LEVEL=2 for the next)
	@$(PYTHON) -m tools.hint $(or $(EX),$(error give EX=, e.g. make hint EX=0.2)) $(if $(LEVEL),--level $(LEVEL))

reset: ## restore stubs: make reset EX=0.2 (your file is backed up in .mnc-backups/, never overwritten)
	@$(PYTHON) -m tools.reset $(or $(EX),$(error give EX=, e.g. make reset EX=0.2))

restore: ## bring a backup back: make restore EX=0.2 (newest; PICK=N for another, LIST=1 to list)
	@$(PYTHON) -m tools.restore $(or $(EX),$(error give EX=, e.g. make restore EX=0.2)) \
	  $(if $(PICK),--pick $(PICK)) $(if $(LIST),--list)

stubs: ## regenerate exercises/ stubs from the reference code
	$(PYTHON) -m tools.stubgen

test: ## fast tests on the reference (skips slow ones)
	$(PYTHON) -m pytest -q -m "not slow" --impl=reference

test-reference: ## every test on the reference
	$(PYTHON) -m pytest -q --impl=reference

test-stubs: ## honesty: every exercise test must FAIL when only its own exercise is stubbed
	$(PYTHON) -m pytest -q --stub-check

check-stubs: ## honesty: committed stubs equal freshly generated ones
	$(PYTHON) -m tools.stubgen --check

check-challenges: ## honesty: every debugging challenge is caught by an assertion in its exercise's tests
	$(PYTHON) -m tools.challenges --only debug

check-alternatives: ## honesty: every alternative solution (alt_*.py) passes its exercise's tests
	$(PYTHON) -m tools.challenges --only alt

mutate: ## mutation check (not in test-all; ~20-30 min on 2 cores): plant each bug of tools/mutations/ (LIST=, JOBS=, ONLY=)
	$(PYTHON) -m tools.mutate $(if $(LIST),--list $(LIST)) --jobs $(or $(JOBS),1) $(if $(ONLY),--only $(ONLY))

test-all: lint check-stubs test-reference test-stubs check-challenges check-alternatives ## everything CI runs
	@echo "test-all: all checks passed"

lint: ## ruff
	$(PYTHON) -m ruff check .

format: ## ruff --fix
	$(PYTHON) -m ruff check --fix .

doctor: ## the training-doctor lab: run broken case CASE=1..7 and diagnose it (FIXED=1: our fix)
	@$(PYTHON) -m checkpoints_exercises.doctor.run $(or $(CASE),$(error give CASE=, e.g. make doctor CASE=1)) \
	  $(if $(filter-out 0 no false,$(FIXED)),--fixed)

# IMPL defaults to learner for `make phaseX.Y`, but `make demo` and `make speedrun` run the reference
# unless IMPL is given explicitly: `make demo IMPL=learner` is the capstone (tools/capstone.py).
RUN_IMPL := $(if $(filter file,$(origin IMPL)),reference,$(IMPL))

demo: ## corpus -> tokenizer -> shards -> GPT -> report, CPU, <= 10 min, runs/demo/ (IMPL=learner: YOUR code)
ifeq ($(RUN_IMPL),learner)
	$(PYTHON) -m tools.capstone demo
else
	$(PYTHON) -m phase2_training.demo
endif

demo-gpu: ## the demo pipeline with a bigger model on one GPU (bf16, compile) into runs/demo_gpu/
	$(PYTHON) -m phase2_training.demo --config examples/demo_gpu.py --out runs/demo_gpu

speedrun: ## the 10-minute CPU speedrun: best val bits/byte in 600 s (docs/speedrun.md; IMPL=learner: YOUR code)
ifeq ($(RUN_IMPL),learner)
	$(PYTHON) -m tools.capstone speedrun
else
	$(PYTHON) -m phase3_optim.speedrun
endif

gpu-check: ## one GPU, < 9 min: 500M speed/MFU, fp32 vs bf16, Muon vs AdamW, demo-gpu, resume, NCCL (DRY=1: CPU)
	$(PYTHON) -m phase4_distributed.gpu_check $(if $(DRY),--dry,)

train: ## train with the full entry, one process (CONFIG=examples/tiny_model.py; torchrun for more)
	$(PYTHON) -m phase4_distributed.train --config $(or $(CONFIG),examples/tiny_model.py)

prepare: ## build a config's tokenizer and shards once, before a multi-GPU run (CONFIG=...)
	$(PYTHON) -m phase2_training.data_prep --config $(or $(CONFIG),examples/tiny_model.py)

profile: ## time per training phase, tokens/s, MFU, peak memory (CONFIG=..., STEPS=...)
	$(PYTHON) tools/profiler/profile_training.py --config $(or $(CONFIG),examples/tiny_model.py) --steps $(or $(STEPS),100)

scaling: ## weak-scaling efficiency for 1..N processes under torchrun (NPROC=1,2)
	$(PYTHON) -m phase4_distributed.scaling --nproc $(or $(NPROC),1,2)

bench-model: ## training-step and KV-cache speed vs HF GPT-2 (needs .[bench]: transformers)
	$(PYTHON) -m bench.bench_model

bench-training: ## time to pass checkpoint 2 on CPU, and demo tokens/s
	$(PYTHON) -m bench.bench_training

bench-tokenizer: ## tokenizer training + encoding speed vs HF tokenizers / tiktoken (needs .[bench])
	$(PYTHON) -m bench.bench_tokenizer_train
	$(PYTHON) -m bench.bench_tokenizer_encode

bench-optim: ## optimizer step time ours vs torch, AdamW vs Muon to target, fp32 vs bf16 (minutes)
	$(PYTHON) -m bench.bench_optim

clean: ## remove caches and run outputs (keeps your exercises)
	rm -rf runs .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
