"""The held-out mutation list: bugs NOT in mutations.py, never used to write or tune a test.

    python -m tools.mutate --list tools/mutations/heldout.py

The main list measures how well the suite catches the bugs it was hardened against; this one
estimates how it does on bugs nobody aimed at. Add a bug here only if no test was written
with it in mind; once a test is written to kill one, move the entry to mutations.py.
"""

from tools.mutate import Mutant as M

P0, P1, P2, P3, P4 = (f"phase{i}_{n}/tests/" for i, n in
                      enumerate(("tokenizer", "model", "training", "optim", "distributed")))
MACHINERY = ("tools/tests/", *(f"--ignore=tools/tests/test_{n}.py" for n in
                                ("mutate", "visualizer", "profiler", "comparator")))

MUTANTS = [
    # ---- phase 0 --------------------------------------------------------------------------------
    M("h0-merge-misses-last-pair", "phase0_tokenizer/bpe.py",
      "if i + 1 < len(ids) and ids[i] == pair[0]", "if i + 2 < len(ids) and ids[i] == pair[0]",
      "merge never matches the pair at the very end", (P0 + "test_bpe.py",)),
    M("h0-vocab-size-without-specials", "phase0_tokenizer/tokenizer.py",
      "return max(self._decoder) + 1", "return len(self.vocab)",
      "vocab_size forgets the special tokens' ids", (P0 + "test_tokenizer.py", P0 + "test_data.py")),
    M("h0-shard-dtype-too-narrow", "phase0_tokenizer/data.py",
      "if vocab_size <= 1 << 16 else", "if vocab_size <= 1 << 17 else",
      "uint16 shards for vocabularies whose ids overflow 16 bits", (P0 + "test_data.py",)),
    # ---- phase 1 --------------------------------------------------------------------------------
    M("h1-gqa-repeat-tiles", "phase1_model/attention.py",
      "k.repeat_interleave(n_rep, dim=1), v.repeat_interleave(n_rep, dim=1)",
      "k.repeat(1, n_rep, 1, 1), v.repeat(1, n_rep, 1, 1)",
      "GQA tiles the key/value heads instead of repeating each one", (P1 + "test_attention.py", P1 + "test_gpt.py")),
    M("h1-embedding-bounds-off-by-one", "phase1_model/embedding.py",
      "int(idx.max()) >= self.num_embeddings", "int(idx.max()) > self.num_embeddings",
      "the id == num_embeddings is not rejected", (P1 + "test_embedding.py",)),
    M("h1-top-p-drops-crossing-token", "phase1_model/generate.py",
      "mass_before = probs.cumsum(dim=-1) - probs", "mass_before = probs.cumsum(dim=-1)",
      "top-p drops the token that crosses the threshold", (P1 + "test_generate.py",)),
    M("h1-kv-cache-full-one-early", "phase1_model/generate.py",
      "if self.pos + T > self.max_len:", "if self.pos + T >= self.max_len:",
      "the KV cache refuses its last position", (P1 + "test_generate.py", P1 + "test_gpt.py")),
    # ---- phase 2 --------------------------------------------------------------------------------
    M("h2-bytes-drop-token-zero", "phase2_training/loss.py",
      "nb = torch.where(targets >= 0, nb,", "nb = torch.where(targets > 0, nb,",
      "token id 0 is treated as padding in bits per byte", (P2 + "test_loss.py",)),
    M("h2-wsd-decay-off-by-one", "phase2_training/schedule.py",
      "remaining = max(0.0, (total_steps - step) / decay_steps)",
      "remaining = max(0.0, (total_steps - step - 1) / decay_steps)",
      "the WSD decay reaches min_lr one step early", (P2 + "test_schedule.py",)),
    M("h2-constant-warmup-from-zero", "phase2_training/schedule.py",
      "return (step + 1) / warmup_steps if step < warmup_steps else 1.0",
      "return step / warmup_steps if step < warmup_steps else 1.0",
      "constant schedule's warmup starts at 0", (P2 + "test_schedule.py",)),
    M("h2-step-file-matches-temp", "phase2_training/checkpoint.py",
      'STEP_FILE = re.compile(r"^step_(\\d+)\\.pt$")', 'STEP_FILE = re.compile(r"step_(\\d+)\\.pt")',
      "temp files of a killed save count as checkpoints", (P2 + "test_checkpoint.py",)),
    M("h2-clip-sum-of-norms", "phase2_training/clipping.py",
      "    norm = torch.linalg.vector_norm(torch.stack(", "    norm = torch.sum(torch.stack(",
      "global norm as the sum of the per-tensor norms", (P2 + "test_clipping.py",)),
    # ---- phase 3 --------------------------------------------------------------------------------
    M("h3-adam-beta1-swapped", "phase3_optim/adam.py",
      "exp_avg.lerp_(grad, 1 - beta1)", "exp_avg.lerp_(grad, beta1)",
      "first moment weights the new gradient by beta1", (P3 + "test_adam.py",)),
    M("h3-adam-foreach-beta2-swapped", "phase3_optim/adam.py",
      "torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)",
      "torch._foreach_addcmul_(exp_avg_sqs, grads, grads, beta2)",
      "foreach second moment weights g^2 by beta2", (P3 + "test_adam.py",)),
    M("h3-muon-sgd-momentum", "phase3_optim/muon.py",
      "buf.lerp_(grad, 1 - momentum)", "buf.mul_(momentum).add_(grad)",
      "Muon momentum as SGD's sum instead of an EMA", (P3 + "test_muon.py",)),
    M("h3-scaler-grows-late", "phase3_optim/precision.py",
      "if self.growth_tracker == self.growth_interval:", "if self.growth_tracker > self.growth_interval:",
      "the loss scale grows one step late", (P3 + "test_precision.py",)),
    M("h3-memory-rmsnorm-stats", "phase3_optim/memory.py",
      'stats = 2 if config.norm == "layernorm" else 1', "stats = 2",
      "RMSNorm counted as saving a mean too", (P3 + "test_memory.py",)),
    M("h3-decay-on-every-group", "phase3_optim/param_groups.py",
      "weight_decay=weight_decay if kind in DECAYED_KINDS else 0.0", "weight_decay=weight_decay",
      "norms and embeddings get weight decay", (P3 + "test_param_groups.py",)),
    # ---- phase 4 --------------------------------------------------------------------------------
    M("h4-zero-beta1-swapped", "phase4_distributed/zero.py",
      "m.lerp_(g, 1 - beta1)", "m.lerp_(g, beta1)",
      "ZeRO's first moment weights the gradient by beta1", (P4 + "test_zero.py",)),
    M("h4-zero-gather-offset-frozen", "phase4_distributed/zero.py",
      "\n        offset += p.numel()\n", "\n",
      "the ZeRO all-gather copies the start of the flat vector into every parameter", (P4 + "test_zero.py",)),
    M("h4-planner-logits-two-buffers", "phase4_distributed/planner.py",
      "logits = tokens * shape.vocab_size * 4 * 3", "logits = tokens * shape.vocab_size * 4 * 2",
      "the planner's logits term misses a buffer", (P4 + "test_planner.py",)),
    # ---- tools ----------------------------------------------------------------------------------
    M("ht-reset-eats-marker", "tools/reset.py",
      "lines[region.start + 1:region.end] = stub_body(ex)", "lines[region.start:region.end] = stub_body(ex)",
      "reset overwrites the opening marker of the region", MACHINERY),
    M("ht-stub-drops-closing-marker", "tools/stubgen.py",
      "        out.append(lines[ex.end])", "        pass",
      "generated stubs lose the closing marker", MACHINERY),
]
