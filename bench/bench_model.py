"""Benchmark: training-step throughput of our GPT lineages vs their HF transformers peers, and KV-cache generation.

    python -m bench.bench_model                 # the phase-1 size (6 layers, 384 wide, vocab 8192, T=256)
    python -m bench.bench_model --quick         # seconds: a smoke run for CI (tiny model, one round)
    python -m bench.bench_model --rounds 9 --steps 3 --batch 8

What is measured (CPU, fp32, `--threads` torch threads, default 2):

1. training step = forward + cross-entropy + backward + AdamW step + zero_grad, tokens/s.
   - ours, lineage "gpt2", vs HF `GPT2LMHeadModel` (needs `pip install transformers`, the
     `bench` extra) at the identical config: same n_layer / n_head / n_embd / vocab /
     block size, LayerNorm eps, biases, tied embeddings, learned positions, no dropout,
     the same GELU, and attention through `F.scaled_dot_product_attention` on both sides
     (ours primitives="torch", HF attn_implementation="sdpa"). Both compute the logits of
     every position and the same `F.cross_entropy`, and both use `torch.optim.AdamW` with
     the same settings. The parameter counts are printed side by side as a check.
   - ours, lineage "llama", vs HF `LlamaForCausalLM` at the identical config: RMSNorm with a
     weight (same eps), SwiGLU of the same hidden width (our fused c_fc = HF's [gate_proj;
     up_proj]), RoPE with the same theta in the same half-split ("rotate_half") layout, no
     biases, untied head, SDPA attention. Same logits check: our weights copied in, max |diff|.
   - ours, lineage "nanochat" (no HF model exists): its peer is our gpt2 lineage at the same
     shape, which matches the transformer-block parameters and FLOPs per token within 1%
     (SwiGLU's hidden width is 8/3 n_embd for that reason); llama and nanochat have an untied
     head, hence more total parameters, but the head costs the same matmul tied or not. The
     "per FLOP" ratio divides out that 1%.
   Steps are timed in rounds that interleave the models, rotating who goes first (round 1:
   A B C D, round 2: B C D A, ...), so a burst of load on a shared machine hits every model,
   not one; we report the median round. Ratios are ours / peer: > 1 means ours is faster.
2. generation: tokens/s of `GPT.generate` with the KV cache vs recomputing the whole prefix
   at every step (`use_cache=False`), batch 1, greedy-free sampling with a fixed seed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

if __package__ in (None, ""):  # run as a file: make the course packages importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from phase1_model import GPT, GPTConfig  # noqa: E402


@dataclass
class Shape:
    vocab_size: int = 8192
    block_size: int = 256
    n_layer: int = 6
    n_head: int = 6
    n_embd: int = 384
    batch: int = 4


QUICK = Shape(vocab_size=512, block_size=64, n_layer=2, n_head=2, n_embd=64, batch=2)


def our_model(lineage: str, s: Shape) -> GPT:
    cfg = GPTConfig.from_lineage(lineage, vocab_size=s.vocab_size, block_size=s.block_size, n_layer=s.n_layer,
                                 n_head=s.n_head, n_embd=s.n_embd, dropout=0.0, primitives="torch")
    return GPT(cfg)


def hf_llama(ours: GPT):
    """LlamaForCausalLM at the config of `ours` (a llama-lineage GPT), or None when transformers is missing."""
    try:
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError:
        return None
    c = ours.config
    cfg = LlamaConfig(vocab_size=c.vocab_size, hidden_size=c.n_embd, intermediate_size=c.mlp_hidden,
                      num_hidden_layers=c.n_layer, num_attention_heads=c.n_head, num_key_value_heads=c.n_kv_head,
                      max_position_embeddings=c.block_size, rms_norm_eps=c.norm_eps, rope_theta=c.rope_theta,
                      hidden_act="silu", attention_bias=False, mlp_bias=False, tie_word_embeddings=False,
                      attention_dropout=0.0, bos_token_id=0, eos_token_id=0, pad_token_id=None, use_cache=False)
    return LlamaForCausalLM._from_config(cfg, attn_implementation="sdpa")


def llama_state_dict(ours: GPT) -> dict:
    """Our llama-lineage weights under HF Llama's names (c_attn = [q; k; v], c_fc = [gate; up])."""
    c, sd = ours.config, ours.state_dict()
    q, kv = c.n_head * c.head_dim, c.n_kv_head * c.head_dim
    out = {"model.embed_tokens.weight": sd["transformer.wte.weight"],
           "model.norm.weight": sd["transformer.ln_f.weight"],
           "lm_head.weight": sd["lm_head.weight"]}
    for i in range(c.n_layer):
        ours_, hf = f"transformer.h.{i}.", f"model.layers.{i}."
        wq, wk, wv = sd[ours_ + "attn.c_attn.weight"].split([q, kv, kv])
        gate, up = sd[ours_ + "mlp.c_fc.weight"].chunk(2)
        out.update({hf + "self_attn.q_proj.weight": wq, hf + "self_attn.k_proj.weight": wk,
                    hf + "self_attn.v_proj.weight": wv,
                    hf + "self_attn.o_proj.weight": sd[ours_ + "attn.c_proj.weight"],
                    hf + "mlp.gate_proj.weight": gate, hf + "mlp.up_proj.weight": up,
                    hf + "mlp.down_proj.weight": sd[ours_ + "mlp.c_proj.weight"],
                    hf + "input_layernorm.weight": sd[ours_ + "ln_1.weight"],
                    hf + "post_attention_layernorm.weight": sd[ours_ + "ln_2.weight"]})
    return out


def hf_model(s: Shape, ours: GPT):
    """GPT2LMHeadModel at the config of `ours` (a gpt2-lineage GPT), or None when transformers is missing."""
    try:
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        return None
    c = ours.config
    # GELU: ours is F.gelu(approximate="tanh") (GPT-2's form); HF's "gelu_pytorch_tanh" is the same call
    # ("gelu_new" is the same maths in five separate ops: slower, so it would flatter us).
    cfg = GPT2Config(vocab_size=c.vocab_size, n_positions=c.block_size, n_embd=c.n_embd, n_layer=c.n_layer,
                     n_head=c.n_head, n_inner=c.mlp_hidden, layer_norm_epsilon=c.norm_eps,
                     activation_function="gelu_pytorch_tanh",
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=True,
                     bos_token_id=0, eos_token_id=0, use_cache=False)
    return GPT2LMHeadModel._from_config(cfg, attn_implementation="sdpa")


@torch.no_grad()
def same_function(ours: GPT, hf, s: Shape) -> float:
    """Copy our weights into the HF model and return max |logits difference|: ~1e-5 proves the configs match.
    HF's GPT-2 stores its projections as Conv1D, (in, out): the transpose of nn.Linear's (out, in)."""
    if ours.config.lineage == "llama":
        missing, unexpected = hf.load_state_dict(llama_state_dict(ours), strict=False)
        assert not unexpected and all("rotary" in k for k in missing), (missing, unexpected)
    else:
        conv1d = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
        hf.load_state_dict({k: v.t() if k.endswith(conv1d) else v for k, v in ours.state_dict().items()})
    x = torch.randint(0, s.vocab_size, (2, min(32, s.block_size)), generator=torch.Generator().manual_seed(2))
    ours.eval(), hf.eval()
    return (ours(x)[0] - hf(input_ids=x).logits).abs().max().item()


def block_stack(model):
    """The transformer blocks of ours or of an HF model (GPT-2: transformer.h; Llama: model.layers)."""
    return model.transformer.h if hasattr(model, "transformer") else model.model.layers


def n_params(model) -> int:
    """Unique parameters (a tied matrix counts once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def train_step(model, kind: str):
    """A closure running one full training step on (x, y); the same work for ours and HF."""
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    model.train()

    def step(x, y):
        if kind == "hf":
            logits = model(input_ids=x).logits
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        else:
            _, loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()  # .item() waits for the step to finish (matters on GPU, harmless on CPU)

    return step


def time_training(models: dict[str, tuple], s: Shape, warmup: int, steps: int, rounds: int) -> dict[str, float]:
    """Median over rounds of tokens/s for each model; models are interleaved within a round."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, s.vocab_size, (s.batch, s.block_size), generator=g)
    y = torch.randint(0, s.vocab_size, (s.batch, s.block_size), generator=g)
    fns = {name: train_step(model, kind) for name, (model, kind) in models.items()}
    for fn in fns.values():
        for _ in range(warmup):
            fn(x, y)
    per_round: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for r in range(rounds):
        # rotate who goes first: no model always runs right after the same neighbour (cold caches, allocator)
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn = fns[name]
            t0 = time.perf_counter()
            for _ in range(steps):
                fn(x, y)
            per_round[name].append(steps * s.batch * s.block_size / (time.perf_counter() - t0))
    return {name: statistics.median(v) for name, v in per_round.items()}


@torch.no_grad()
def time_generation(model: GPT, prompt_len: int, new_tokens: int, use_cache: bool, repeats: int) -> float:
    model.eval()
    idx = torch.randint(0, model.config.vocab_size, (1, prompt_len), generator=torch.Generator().manual_seed(1))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.generate(idx, new_tokens, temperature=1.0, seed=0, use_cache=use_cache)
        best = min(best, time.perf_counter() - t0)
    return new_tokens / best


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return (f"{cpu}, {os.cpu_count()} cores ({load}), torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"Python {platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny model, one round: a smoke run for CI")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per model first")
    p.add_argument("--steps", type=int, default=2, help="timed steps per model per round")
    p.add_argument("--rounds", type=int, default=5, help="rounds (median reported)")
    p.add_argument("--new-tokens", type=int, default=None, help="tokens generated per generation run")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    s = QUICK if args.quick else Shape()
    if args.batch:
        s.batch = args.batch
    warmup, steps, rounds = (1, 1, 1) if args.quick else (args.warmup, args.steps, args.rounds)

    ours = {lin: our_model(lin, s) for lin in ("gpt2", "llama", "nanochat")}
    hf = hf_model(s, ours["gpt2"])
    hf_l = hf_llama(ours["llama"])
    print(f"machine: {machine()}")
    print(f"shape: n_layer={s.n_layer} n_head={s.n_head} n_embd={s.n_embd} vocab={s.vocab_size} "
          f"T={s.block_size} batch={s.batch}; {warmup} warm-up + {rounds} rounds x {steps} timed steps, fp32\n")

    # name -> (model, kind, the lineage whose function it computes, its peer's name)
    models = {"ours (gpt2)": (ours["gpt2"], "ours", "gpt2", "HF GPT2LMHeadModel"),
              "ours (llama)": (ours["llama"], "ours", "llama", "HF LlamaForCausalLM"),
              "ours (nanochat)": (ours["nanochat"], "ours", "nanochat", "ours (gpt2)")}
    for name, peer, lineage in (("HF GPT2LMHeadModel", hf, "gpt2"), ("HF LlamaForCausalLM", hf_l, "llama")):
        if peer is not None:
            models[name] = (peer, "hf", lineage, name)
            print(f"config check: {name} with our {lineage} weights gives the same logits, max |diff| = "
                  f"{same_function(ours[lineage], peer, s):.1e}")
    tps = time_training({name: (m, kind) for name, (m, kind, _, _) in models.items()}, s, warmup, steps, rounds)

    # FLOPs/token (6N + attention, GPT.flops_per_token): the work per token, so tokens/s x FLOPs/token is the
    # achieved compute; an HF model computes the same function as our lineage it mirrors, hence the same FLOPs.
    flops = {name: ours[lineage].flops_per_token(s.block_size) for name, (_, _, lineage, _) in models.items()}
    print("\n| model | params | in blocks | FLOPs/token | tokens/s | GFLOP/s | peer | vs peer | vs peer per FLOP |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for name, (model, _kind, _lineage, peer) in models.items():
        blocks = sum(p.numel() for p in block_stack(model).parameters())
        if peer not in tps or peer == name:
            vs = per_flop = "1.00x" if peer == name else "n/a"
        else:
            vs = f"{tps[name] / tps[peer]:.2f}x"
            per_flop = f"{tps[name] * flops[name] / (tps[peer] * flops[peer]):.2f}x"
        print(f"| {name} | {n_params(model) / 1e6:.2f}M | {blocks / 1e6:.2f}M | {flops[name] / 1e6:.1f}M | "
              f"{tps[name]:,.0f} | {tps[name] * flops[name] / 1e9:.1f} | {peer} | {vs} | {per_flop} |")
    if hf is None or hf_l is None:
        print("\nHF transformers is not installed (pip install transformers): HF peers skipped.")

    gen = ours["gpt2"]
    new = args.new_tokens or (8 if args.quick else 128)
    prompt = min(16, s.block_size - new)
    repeats = 1 if args.quick else 2
    cached = time_generation(gen, prompt, new, True, repeats)
    full = time_generation(gen, prompt, new, False, repeats)
    print(f"\ngeneration, ours (gpt2), batch 1, prompt {prompt} + {new} new tokens (best of {repeats}):")
    print("| mode | tokens/s |\n|---|---:|")
    print(f"| KV cache | {cached:,.1f} |\n| no cache (full recompute) | {full:,.1f} |")
    print(f"\nKV cache speed-up: {cached / full:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
