"""The GPT: embeddings -> n_layer blocks -> final norm -> logits over the vocabulary.

Radford et al. (2018, GPT-1; 2019, GPT-2) stacked the Transformer's decoder
blocks and trained them to predict the next token. Everything here is assembled
from the previous commits; what is new is the whole:

    x = wte(idx) (+ position embedding)              (B, T, n_embd)         _embed
    x = block_i(x)  for i in range(n_layer)         phase1_model.block     forward
    logits = lm_head(norm_f(x))                      (B, T, vocab_size)     head
    loss = cross_entropy(logits, targets)            next-token targets = idx shifted by one

One GPTConfig selects the lineage (gpt2 / llama / nanochat, see config.py),
`init_weights` documents how each starts (ADR 009), `generate` samples with a
KV cache (phase1_model.generate), and `flops_per_token` gives the 6N + 12 L C T
estimate used for MFU (Kaplan et al. 2020; Chowdhery et al. 2022, appendix B).
"""

from __future__ import annotations

import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from phase1_model.block import Block
from phase1_model.config import GPTConfig
from phase1_model.embedding import EMBEDDING_TYPES, TokenEmbedding
from phase1_model.generate import generate
from phase1_model.linear import LINEAR_TYPES, Linear
from phase1_model.norms import build_norm, unit_rms_norm
from phase1_model.params import count_parameters
from phase1_model.positions import rope_tables, sinusoidal_embedding


class SoftCap(torch.autograd.Function):
    """logits -> cap * tanh(logits / cap) (Gemma 2; nanochat caps at 15): smooth, and |output| < cap.

    The same maths as `cap * torch.tanh(logits / cap)`, written out because it runs on the largest
    tensor of the model, (B, T, vocab_size) floats. Autograd would allocate three new tensors of that
    size forward (divide, tanh, multiply) and run three ops backward. Here the forward works in place
    on the fresh logits (nothing else reads them: the head's matmul saves its inputs, not its output),
    and the backward is one fused op, since with t = tanh(z / cap) = y / cap
        d/dz [cap * tanh(z / cap)] = cap * (1 - t^2) / cap = 1 - t^2,
    exactly what torch's `tanh_backward(grad, t)` computes (the caps cancel), here written into t's buffer.
    (On the CPU, first-touching a fresh 32 MB buffer costs about as much as the arithmetic in it.)"""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, cap: float) -> torch.Tensor:
        ctx.mark_dirty(logits)  # in place: autograd records that the input was overwritten
        y = logits.div_(cap).tanh_().mul_(cap)
        ctx.save_for_backward(y)
        ctx.cap = cap
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (y,) = ctx.saved_tensors
        t = y / ctx.cap  # tanh(z / cap), in a fresh (B, T, V) buffer that the result then overwrites:
        return torch.ops.aten.tanh_backward.grad_input(grad, t, grad_input=t), None  # one allocation, not two


def soft_cap(logits: torch.Tensor, cap: float) -> torch.Tensor:
    """cap * tanh(logits / cap), computed IN PLACE in `logits` (SoftCap): pass a tensor you no longer need."""
    if torch.compiler.is_compiling():
        # Under torch.compile the plain formula is the fast one: inductor fuses it into one kernel each
        # way by itself, and Dynamo cannot trace mark_dirty (a graph break around the largest tensor).
        return cap * torch.tanh(logits / cap)
    return SoftCap.apply(logits, cap)


class CheckpointError(ValueError):
    """A checkpoint that does not fit the model (wrong config, missing or mis-shaped weights)."""


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        # torch's layers, or the course's own with the same parameter names (config.primitives="manual")
        embedding, linear = (TokenEmbedding, Linear) if config.manual else (nn.Embedding, nn.Linear)
        self.transformer = nn.ModuleDict(dict(wte=embedding(config.vocab_size, config.n_embd)))
        if config.positions == "learned":
            self.transformer["wpe"] = embedding(config.block_size, config.n_embd)
        self.transformer["h"] = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.transformer["ln_f"] = build_norm(config)
        self.drop = nn.Dropout(config.dropout) if config.dropout > 0 else nn.Identity()
        self.lm_head = linear(config.n_embd, config.vocab_size, bias=False)
        self.embed_norm = unit_rms_norm(config.n_embd, config.manual) if config.embed_norm else None
        if config.tie_embeddings:  # one (V, C) matrix both reads tokens in and scores them out
            self.transformer.wte.weight = self.lm_head.weight
        # A fixed table: a buffer (moves with .to(device)) but not saved in checkpoints (recomputed).
        # (RoPE needs none: _embed computes its cos/sin for the positions of each forward, rope_tables.)
        if config.positions == "sinusoidal":
            self.register_buffer("pos_table", sinusoidal_embedding(config.block_size, config.n_embd), persistent=False)
        self.init_weights()

    def init_weights(self) -> None:
        """Initialise every parameter (in place) following config.init (ADR 009):

        "gpt2" (GPT-2, nanoGPT; also our llama lineage): every Linear and Embedding weight ~ N(0, 0.02),
            biases 0, norm weights 1, then `scale_residual_projections`.
        "nanochat": Linear weights ~ N(0, std) with std = min(1, sqrt(fan_out/fan_in)) / sqrt(fan_in),
            embeddings ~ N(0, 1), biases 0, norm weights 1, then `zero_residual_branches`.
        Tied embeddings: the shared matrix follows the embedding rule (it cannot be zero: it is the input).
        """
        cfg = self.config
        nanochat = cfg.init == "nanochat"
        embedding_std = 1.0 if nanochat else 0.02
        for module in self.modules():
            if isinstance(module, LINEAR_TYPES):
                fan_out, fan_in = module.weight.shape
                std = min(1.0, math.sqrt(fan_out / fan_in)) / math.sqrt(fan_in) if nanochat else 0.02
                nn.init.normal_(module.weight, mean=0.0, std=std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, EMBEDDING_TYPES):
                nn.init.normal_(module.weight, mean=0.0, std=embedding_std)
            elif getattr(module, "weight", None) is not None and module.weight.dim() == 1:  # norms
                nn.init.ones_(module.weight)
                if getattr(module, "bias", None) is not None:
                    nn.init.zeros_(module.bias)
        if cfg.tie_embeddings:  # the loop visited the shared matrix twice; the embedding rule wins
            nn.init.normal_(self.lm_head.weight, mean=0.0, std=embedding_std)
        # What the two schemes are about: how the residual branches start.
        if nanochat:
            self.zero_residual_branches()
        else:
            self.scale_residual_projections()

    def scale_residual_projections(self) -> None:
        """GPT-2's depth scaling (Radford et al. 2019, section 2.3; ADR 009). Each block adds two terms to
        the residual stream, through attn.c_proj and mlp.c_proj; with n_layer blocks the stream sums
        2 * n_layer of them, and independent terms add their variances. Redraw the weight of both
        projections of every block from N(0, 0.02 / sqrt(2 * n_layer)), so the stream's variance at the
        top stays roughly independent of depth. Biases and every other weight are already set."""
        # >>> exercise 1.5 scale_residual_projections
        std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for block in self.transformer.h:
            for proj in (block.attn.c_proj, block.mlp.c_proj):
                nn.init.normal_(proj.weight, mean=0.0, std=std)
        # <<< exercise 1.5 scale_residual_projections

    def zero_residual_branches(self) -> None:
        """nanochat's start (ADR 009): set to ZERO the weight of both projections that write into the
        residual stream in every block (attn.c_proj, mlp.c_proj), so every block starts as the identity,
        and the weight of lm_head, so the model predicts the uniform distribution (loss exactly
        ln(vocab_size)) -- unless the head is tied to the embedding (config.tie_embeddings): the shared
        matrix is also the input, and must keep its N(0, 1) draw. Everything else is already set."""
        # >>> exercise 1.5 zero_residual_branches
        for block in self.transformer.h:
            nn.init.zeros_(block.attn.c_proj.weight)
            nn.init.zeros_(block.mlp.c_proj.weight)
        if not self.config.tie_embeddings:
            nn.init.zeros_(self.lm_head.weight)
        # <<< exercise 1.5 zero_residual_branches

    def _embed(self, idx: torch.Tensor, pos0: int = 0):
        """Token (+ absolute position) embedding of idx at positions pos0..pos0+T-1, and what RoPE rotates
        q and k with at those positions: the pair (cos, sin) of `rope_tables`, computed here once for
        every layer (None for learned and sinusoidal positions: added here instead)."""
        T = idx.size(1)
        if pos0 + T > self.config.block_size:
            raise ValueError(f"sequence of {pos0 + T} positions > block_size={self.config.block_size}: "
                             f"crop the input to idx[:, -{self.config.block_size}:] or raise block_size")
        positions = torch.arange(pos0, pos0 + T, device=idx.device)
        x = self.transformer.wte(idx)
        if self.config.embed_norm:
            x = self.embed_norm(x)
        if self.config.positions == "learned":
            x = x + self.transformer.wpe(positions)
        elif self.config.positions == "sinusoidal":
            x = x + self.pos_table[pos0:pos0 + T].to(x.dtype)
        if self.config.positions != "rope":
            return self.drop(x), None
        return self.drop(x), rope_tables(positions, self.config.head_dim, self.config.rope_theta)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, ignore_index: int = -1,
                kv_cache=None):
        """idx (B, T) token ids -> (logits (B, T, V) float32, loss or None): embed, run the blocks, then
        the head (`head`, below). Embed idx with `self._embed(idx, pos0)` -> (x, rope), pos0 =
        kv_cache.pos with a cache, else 0 (rope: RoPE's (cos, sin) tables or None, computed once for all
        blocks); run block i as block(x, rope, kv_cache, i) for
        i = 0..n_layer-1; with a kv_cache call kv_cache.advance(T) exactly once (T = idx.size(1)),
        after the last block: every layer stores its keys and values at the same positions
        pos0..pos0+T-1, and the next forward continues after them. Leave the last block's output
        (B, T, n_embd) in `x`: the line after the region hands it to the head."""
        # >>> exercise 1.5 gpt_forward
        x, rope = self._embed(idx, kv_cache.pos if kv_cache is not None else 0)
        for i, block in enumerate(self.transformer.h):
            x = block(x, rope, kv_cache, i)
        if kv_cache is not None:
            kv_cache.advance(idx.size(1))
        # <<< exercise 1.5 gpt_forward
        return self.head(x, targets, ignore_index)

    def head(self, x: torch.Tensor, targets: torch.Tensor | None = None, ignore_index: int = -1):
        """The output head: hidden states x (B, T, n_embd) -> (logits (B, T, V) float32, loss or None).

        Final norm ln_f, lm_head, then .float() (under bf16 autocast the matmul is bf16; the softmax and
        loss want float32). With config.logit_softcap = c, logits -> c * tanh(logits / c) (Gemma 2;
        `soft_cap(logits, c)` computes it in place, the plain formula is the same maths). loss = mean
        cross-entropy of logits against targets (B, T), skipping positions equal to ignore_index;
        None without targets. A method of its own so that a trainer can torch.compile it apart from
        the blocks (under FSDP, Dynamo does not trace through the root module's hooks)."""
        # >>> exercise 1.5 gpt_head
        logits = self.lm_head(self.transformer.ln_f(x)).float()
        if self.config.logit_softcap:
            logits = soft_cap(logits, self.config.logit_softcap)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=ignore_index)
        return logits, loss
        # <<< exercise 1.5 gpt_head

    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int | None = None, use_cache: bool = True) -> torch.Tensor:
        """Sample max_new_tokens tokens after idx (B, T); see phase1_model.generate.generate."""
        return generate(self, idx, max_new_tokens, temperature, top_k, top_p, seed, use_cache)

    @torch.no_grad()
    def get_attention_weights(self, idx: torch.Tensor, layer: int = 0) -> torch.Tensor:
        """Softmax attention weights of one layer: idx (T,) -> (n_head, T, T); idx (B, T) -> (B, n_head, T, T)."""
        squeeze = idx.dim() == 1
        idx = idx[None] if squeeze else idx
        layer = range(self.config.n_layer)[layer]  # negative indices work, out of range raises IndexError
        x, rope = self._embed(idx)
        for block in self.transformer.h[:layer]:
            x = block(x, rope)
        block = self.transformer.h[layer]
        weights = block.attn.attention_weights(block.ln_1(x), rope)
        return weights[0] if squeeze else weights

    def num_params(self, non_embedding: bool = False) -> int:
        counts = count_parameters(self)
        return counts["non_embedding" if non_embedding else "total"]

    def flops_per_token(self, seq_len: int | None = None) -> int:
        """Training FLOPs (forward + backward) per token: 6N + 12 * n_layer * n_head * head_dim * T.

        N counts the weights used in matmuls: every parameter except pure lookup tables (wpe, and wte
        when untied; a tied wte IS lm_head, a matmul). Each such weight costs 2 FLOPs per token forward
        (multiply + add) and 4 backward (gradients for input and weight). The attention term is
        q @ k^T and weights @ v: 2 * 2 * T * head_dim per head and layer forward, x3 with backward;
        it counts the full T x T square even though the causal half is masked (PaLM's convention).
        T = seq_len, or block_size when seq_len is None. Returns an int."""
        # >>> exercise 1.5 flops_per_token
        cfg = self.config
        T = cfg.block_size if seq_len is None else seq_len
        N = self.num_params()
        if "wpe" in self.transformer:
            N -= self.transformer.wpe.weight.numel()
        if not cfg.tie_embeddings:
            N -= self.transformer.wte.weight.numel()
        return 6 * N + 12 * cfg.n_layer * cfg.n_head * cfg.head_dim * T
        # <<< exercise 1.5 flops_per_token

    # ---- checkpoints ------------------------------------------------------------------------------

    def checkpoint_state(self, **extra) -> dict:
        """{'model_config': plain dict, 'model': state_dict, **extra}: the checkpoint format every phase
        shares (phase 2 adds its training state beside these two keys); read back by from_checkpoint."""
        return {"model_config": self.config.to_dict(), "model": self.state_dict(), **extra}

    @classmethod
    def from_checkpoint(cls, path_or_state, config: GPTConfig | None = None) -> GPT:
        """Build the model a checkpoint (a file or its dict) describes and load its weights, on the CPU.
        If `config` is given it must equal the saved one: a mismatch raises CheckpointError listing
        the differing fields."""
        state = path_or_state
        if isinstance(path_or_state, (str, os.PathLike)):
            state = read_checkpoint(path_or_state)
        if not isinstance(state, dict) or "model_config" not in state or "model" not in state:
            raise CheckpointError("not a GPT checkpoint: expected a dict with 'model_config' and 'model' keys "
                                  "(written by GPT.checkpoint_state or the phase-2 trainer)")
        saved = GPTConfig.from_dict(state["model_config"])
        if config is not None and config != saved:
            raise CheckpointError("the checkpoint was saved with a different config (checkpoint != yours):\n  "
                                  + "\n  ".join(saved.diff(config))
                                  + "\nBuild it with GPT.from_checkpoint(path) to use the checkpoint's own config.")
        model = cls(saved)
        load_weights(model, state["model"])
        return model


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The one checkpoint loader of the course: torch.load(weights_only=True) onto the CPU.

    weights_only unpickles tensors and plain containers only, so a crafted file cannot run code;
    map_location="cpu" means a checkpoint written on a GPU loads anywhere (move tensors afterwards).
    Raises CheckpointError, naming the file, when it is missing or not a torch checkpoint dict."""
    if not os.path.isfile(path):
        raise CheckpointError(f"no checkpoint at {path}: check the path (a checkpoint is written by "
                              "GPT.checkpoint_state or by training)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, foreign pickle, code that weights_only refuses to run...
        raise CheckpointError(f"{path} is corrupt or not a torch checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} holds a {type(state).__name__}, not a checkpoint dict")
    return state


def load_weights(model: nn.Module, state_dict: dict) -> None:
    """model.load_state_dict, with an error that names every missing, unexpected and mis-shaped tensor."""
    state_dict = {k.removeprefix("_orig_mod."): v for k, v in state_dict.items()}  # saved from torch.compile
    own = model.state_dict()
    problems = [f"missing: {k}" for k in own if k not in state_dict]
    problems += [f"unexpected: {k}" for k in state_dict if k not in own]
    problems += [f"shape of {k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
                 for k, v in state_dict.items() if k in own and v.shape != own[k].shape]
    if problems:
        shown = "\n  ".join(problems[:10]) + (f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise CheckpointError(f"checkpoint weights do not fit this model:\n  {shown}\n"
                              "The config differs from the one the weights were trained with (vocab_size, "
                              "n_embd, n_layer, lineage...): build the model from the checkpoint's config.")
    model.load_state_dict(state_dict)
