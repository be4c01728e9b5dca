"""How much memory does a training step need? An estimator, and a measurement to check it (commit 3.3).

    total = params + grads + optimizer state + activations

- params and grads: N values each (float32 master weights, float32 grads).
- optimizer state per parameter: SGD+momentum 1 value, Adam/AdamW 2 (m and v),
  Muon 1 (momentum) for hidden matrices and AdamW's 2 for the rest.
- activations: what autograd saves for the backward pass, per token. For one
  of our transformer blocks (n_embd C, MLP width h, H heads, fp32):

      2 norms: input C + 1-2 statistics, output C       attention: qkv C + 2 kv_dim, SDPA output C + H
      RoPE: rotated q and k (C + kv_dim)                 QK-norm: normed q, k (C + kv_dim) + their rstd
      MLP: GELU/ReLU^2 2h (pre- and post-activation); SwiGLU 5h (measured with saved_tensors_hooks)

  plus, once per token: the final norm (2C + stats), the log-probabilities V
  (kept by the cross-entropy) and the int64 token ids.
- logits: the peak comes at the start of backward, when the (B, T, V) logits
  the model returned, the gradient of the log-probabilities and the gradient of
  the logits are alive together with every saved activation: 3 V per token,
  often the largest single term for a small model with a big vocabulary. Note the flash-style SDPA kernel saves
  no (T, T) matrix; config.primitives="manual" would add n_head * T per token.
  Under autocast the 16-bit copies of weights and activations change this; the
  estimator models fp32 (the CPU default), where it is checked against reality.

The measurement (`measure_peak_memory`) runs one training step in a fresh
subprocess and reads the peak resident set size (ru_maxrss) minus the RSS just
before the model is built. Limits, honestly: RSS counts pages, not tensors; the
allocator may keep freed memory (we set MALLOC_MMAP_THRESHOLD_ so big tensors
come from mmap and go back to the OS on free), and the step's temporaries
(gradient buffers in flight, kernel workspaces) are in the measurement but not
in the estimate. On CUDA use torch.cuda.max_memory_allocated() instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass

STATE_VALUES_PER_PARAM = {"sgd": 1, "adam": 2, "adamw": 2}  # muon: 1 for hidden matrices, 2 for the rest


@dataclass
class MemoryEstimate:
    params: int            # bytes
    grads: int
    optimizer_state: int
    activations: int       # saved for backward
    logits: int            # the returned logits + the two V-wide gradient buffers at the start of backward
    activations_per_token: int

    @property
    def total(self) -> int:
        return self.params + self.grads + self.optimizer_state + self.activations + self.logits

    def table(self) -> str:
        rows = [(k, getattr(self, k)) for k in ("params", "grads", "optimizer_state", "activations", "logits")]
        rows.append(("total", self.total))
        return "\n".join(f"{k:<16} {v / 2**20:>10.1f} MiB" for k, v in rows)


def activation_values_per_token(config) -> int:
    """Values autograd keeps per token for one forward pass of phase1_model.GPT (see the module docstring)."""
    # >>> exercise 3.3 activation_values_per_token
    C, h, H, Hkv = config.n_embd, config.mlp_hidden, config.n_head, config.n_kv_head
    kv_dim = Hkv * config.head_dim
    stats = 2 if config.norm == "layernorm" else 1          # mean and rstd, or rstd
    norm = C + stats + C                                    # saved input (+ stats) and output
    per_layer = 2 * norm + (C + 2 * kv_dim) + (C + H)
    if config.positions == "rope":
        per_layer += C + kv_dim
    if config.qk_norm:
        per_layer += C + kv_dim + H + Hkv
    per_layer += 5 * h if config.mlp == "swiglu" else 2 * h
    if config.primitives == "manual":
        per_layer += 2 * H * config.block_size             # scores and softmax weights, (T, T) per head
    return config.n_layer * per_layer + norm + config.vocab_size + 4
    # <<< exercise 3.3 activation_values_per_token


def optimizer_state_values(model, optimizer: str) -> int:
    """Values of optimizer state for `model` under `optimizer` ('sgd', 'adam', 'adamw', 'muon')."""
    from phase3_optim.param_groups import classify_parameters
    if optimizer == "muon":
        kinds = classify_parameters(model)
        matrices = sum(p.numel() for _, p in kinds["matrix"])
        rest = sum(p.numel() for k, ps in kinds.items() if k != "matrix" for _, p in ps)
        return matrices + 2 * rest
    if optimizer not in STATE_VALUES_PER_PARAM:
        raise ValueError(f"optimizer {optimizer!r}: choose one of sgd, adam, adamw, muon")
    return STATE_VALUES_PER_PARAM[optimizer] * sum(p.numel() for p in model.parameters() if p.requires_grad)


def estimate_memory(model, batch_size: int, seq_len: int | None = None, optimizer: str = "adamw",
                    bytes_per_value: int = 4) -> MemoryEstimate:
    """Estimated bytes of one training step of phase1_model.GPT `model` (fp32: 4 bytes per value)."""
    cfg = model.config
    seq_len = seq_len or cfg.block_size
    n = sum(p.numel() for p in model.parameters())
    per_token = activation_values_per_token(cfg) * bytes_per_value
    tokens = batch_size * seq_len
    return MemoryEstimate(params=n * bytes_per_value, grads=n * bytes_per_value,
                          optimizer_state=optimizer_state_values(model, optimizer) * bytes_per_value,
                          activations=per_token * tokens, logits=3 * cfg.vocab_size * tokens * bytes_per_value,
                          activations_per_token=per_token)


def measure_saved_activations(model, batch_size: int, seq_len: int) -> int:
    """Bytes autograd saves for backward in one forward pass, counted exactly with saved_tensors_hooks
    (each storage once; parameters and buffers excluded): the oracle for the activation term."""
    import torch
    skip = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    saved: dict[int, int] = {}

    def pack(t):
        st = t.untyped_storage()
        if st.data_ptr() not in skip:
            saved[st.data_ptr()] = st.nbytes()
        return t

    x = torch.randint(0, model.config.vocab_size, (batch_size, seq_len))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x, x)
    return sum(saved.values())


def _peak_worker(spec: dict) -> dict:
    """Runs in the subprocess: build the model, two AdamW/Muon steps, report peak RSS minus the baseline."""
    import resource

    import torch
    torch.set_num_threads(1)
    from phase1_model import GPT, GPTConfig
    from phase3_optim.build import build_optimizer

    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    torch.manual_seed(0)
    # Warm up on a tiny model first: the first forward/backward pages in kernels and starts autograd
    # threads (tens of MiB of RSS that are not tensors).
    tiny = GPT(GPTConfig.from_dict({**spec["config"], "vocab_size": 64, "n_embd": 32, "n_head": 2, "n_kv_head": None,
                                    "mlp_hidden": None, "n_layer": 1}))
    build_optimizer(tiny, spec["optimizer"], lr=1e-4, weight_decay=0.1, fused=False)
    tiny(torch.zeros(1, 8, dtype=torch.long), torch.zeros(1, 8, dtype=torch.long))[1].backward()
    del tiny
    x = torch.randint(0, spec["config"]["vocab_size"], (spec["batch_size"], spec["seq_len"]))
    baseline = rss()
    # Reset the high-water mark (VmHWM) to the current RSS, so a transient peak from start-up or
    # imports cannot pass for the training step's peak (Linux >= 4.0; else ru_maxrss below).
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    model = GPT(GPTConfig.from_dict(spec["config"]))
    # fused=False: the estimate models the tensors of a step, not torch.compile's compiler and kernels
    opt = build_optimizer(model, spec["optimizer"], lr=1e-4, weight_decay=0.1, fused=False)
    for _ in range(2):  # the second step is the steady state: optimizer state exists
        opt.zero_grad(set_to_none=True)
        _, loss = model(x, x)
        loss.backward()
        opt.step()
    if reset:
        with open("/proc/self/status") as f:
            peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) * 1024  # kB
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    return {"peak_bytes": peak - baseline}


def measure_peak_memory(config, batch_size: int, seq_len: int, optimizer: str = "adamw") -> int:
    """Peak extra resident memory (bytes) of training steps, measured in a fresh subprocess (Linux only)."""
    if not sys.platform.startswith("linux"):
        raise RuntimeError("measure_peak_memory reads /proc and ru_maxrss: Linux only")
    spec = dict(config=config.to_dict(), batch_size=batch_size, seq_len=seq_len, optimizer=optimizer)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the repo, importable from anywhere
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    code = f"import json; from phase3_optim.memory import _peak_worker; print(json.dumps(_peak_worker({spec!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_bytes"]


if __name__ == "__main__":  # python -m phase3_optim.memory: estimate vs measurement for a small GPT
    import argparse
    argparse.ArgumentParser(description="Memory estimate vs measured peak RSS of a training step "
                            "(4-layer GPT, vocab 8192, batch 16 x 256, AdamW; needs ~1 GB).").parse_args()
    from phase1_model import GPT, GPTConfig
    cfg = GPTConfig.from_lineage("gpt2", vocab_size=8192, block_size=256, n_layer=4, n_head=4, n_embd=256)
    est = estimate_memory(GPT(cfg), batch_size=16, seq_len=256)
    print(est.table())
    measured = measure_peak_memory(cfg, 16, 256)
    print(f"{'measured peak':<16} {measured / 2**20:>10.1f} MiB   (estimate/measured = {est.total / measured:.2f})")
    print(json.dumps({k: v for k, v in asdict(est).items()}))
