"""The course map: each commit's title and what to read before starting it.

The exercises themselves are found in the code (tools/exercises.py); this file
only holds what the code cannot say: titles and reading lists. A test checks
that every path listed here exists.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Commit:
    id: str
    title: str
    read: tuple[str, ...] = ()


PHASES = {
    "0": ("Phase 0 — the tokenizer", "phase0_tokenizer"),
    "1": ("Phase 1 — the model", "phase1_model"),
    "2": ("Phase 2 — training", "phase2_training"),
    "3": ("Phase 3 — optimizers and precision", "phase3_optim"),
    "4": ("Phase 4 — distributed training", "phase4_distributed"),
}

COMMITS = {c.id: c for c in [
    Commit("0.1", "Bytes, UTF-8 and the corpus",
           ("phase0_tokenizer/README.md", "phase0_tokenizer/adrs/001-byte-level-base-vocabulary.md")),
    Commit("0.2", "BPE training",
           ("phase0_tokenizer/adrs/002-bpe-vs-wordpiece-vs-unigram.md", "docs/papers/bpe-1994.md",
            "docs/papers/subword-nmt-2016.md")),
    Commit("0.3", "The Tokenizer: pre-tokenization, encode/decode, special tokens",
           ("docs/papers/gpt2-2019.md", "phase0_tokenizer/adrs/003-split-pattern.md",
            "phase0_tokenizer/adrs/004-tokenizer-file-format.md")),
    Commit("0.4", "The data pipeline: shards, batches, bits-per-byte",
           ("phase0_tokenizer/adrs/005-token-shard-format.md",)),
    Commit("1.1", "Config, layers, parameter counting",
           ("phase1_model/README.md", "phase1_model/adrs/009-tied-embeddings-and-init.md")),
    Commit("1.2", "Self-attention",
           ("docs/papers/attention-2017.md", "phase1_model/adrs/006-multi-head-attention-sdpa.md")),
    Commit("1.3", "The transformer block",
           ("phase1_model/adrs/007-pre-norm-rmsnorm.md", "docs/papers/rmsnorm-2019.md",
            "docs/papers/glu-variants-2020.md")),
    Commit("1.4", "Positions: learned, sinusoidal, RoPE",
           ("docs/papers/roformer-2021.md", "phase1_model/adrs/008-rope-vs-learned-positions.md")),
    Commit("1.5", "The GPT",
           ("docs/papers/gpt1-2018.md", "phase1_model/adrs/009-tied-embeddings-and-init.md")),
    Commit("2.1", "The loss: cross-entropy, perplexity, bits-per-byte",
           ("phase2_training/README.md", "phase2_training/adrs/010-loss-and-bits-per-byte.md")),
    Commit("2.2", "The training loop", ()),
    Commit("2.3", "Schedules and stability",
           ("phase2_training/adrs/011-lr-schedule.md", "docs/papers/sgdr-2017.md", "docs/papers/minicpm-2024.md")),
    Commit("2.4", "Checkpoints and experiments", ("phase2_training/adrs/012-checkpoint-format.md",)),
    Commit("3.1", "SGD, Adam and AdamW",
           ("phase3_optim/README.md", "phase3_optim/adrs/013-adamw-defaults-and-param-groups.md",
            "docs/papers/adam-2014.md", "docs/papers/adamw-2019.md")),
    Commit("3.2", "Muon",
           ("phase3_optim/adrs/014-muon-for-hidden-matrices.md", "docs/papers/muon-2024.md",
            "docs/papers/muon-scalable-2025.md")),
    Commit("3.3", "Mixed precision, memory, MFU",
           ("phase3_optim/adrs/015-bf16-vs-fp16.md", "docs/papers/mixed-precision-2017.md")),
    Commit("4.1", "Collectives with torchrun",
           ("phase4_distributed/README.md", "phase4_distributed/adrs/018-what-rank-0-owns.md",
            "docs/papers/ddp-2020.md")),
    Commit("4.2", "DDP and ZeRO-1",
           ("phase4_distributed/adrs/017-accumulation-with-no-sync.md",
            "phase4_distributed/adrs/016-ddp-vs-zero-vs-fsdp.md", "docs/papers/zero-2020.md")),
    Commit("4.3", "FSDP, memory planning and scaling", ("docs/papers/fsdp-2023.md",)),
]}


# The learner's runner (tools/runner.py) gives each exercise's tests one child process and this
# many seconds of wall clock for all of them, start-up included; then it kills the child. Most
# exercises need 3-8 s on the reference; the ones listed run training loops, several processes
# or long property tests. Each limit is about 3x the reference's time measured on a loaded 2-core
# box (`python -m tools.progress all --impl reference --times`), room for a slower correct solution.
DEFAULT_TIME_LIMIT = 30.0
TIME_LIMITS: dict[str, float] = {
    "0.3 encode_chunk": 45, "0.3 encode": 45,
    "1.1 count_parameters": 45, "1.5 flops_per_token": 45, "2.3 accumulate": 45,
    "3.1 weight_decay": 60, "3.1 adam_update": 120, "3.1 adam_foreach": 60, "3.1 sgd_update": 90,
    "3.2 muon_update": 45, "3.3 unscale": 45, "3.3 update_scale": 45,
    "4.1 average_gradients": 45, "4.1 average_gradients_bucketed": 45,
    "4.2 gradient_sync": 60, "4.2 zero_update_shard": 45, "4.2 zero_all_gather": 90,
}


def time_limit(key: str) -> float:
    """Seconds the runner allows exercise `key` ('0.2 merge') before it stops it."""
    return TIME_LIMITS.get(key, DEFAULT_TIME_LIMIT)


def commit_info(commit_id: str) -> Commit:
    return COMMITS.get(commit_id, Commit(commit_id, f"Commit {commit_id}"))
