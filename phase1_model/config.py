"""GPTConfig: every number and choice that defines a model, checked before any tensor exists.

One config selects a *lineage*, a family of architectural choices, and fills in
the fields you leave as None:

    lineage    norm                       mlp      positions  embeddings  extras
    gpt2       LayerNorm (+bias)          GELU     learned    tied        biases in Linear layers
    llama      RMSNorm (learnable weight) SwiGLU   RoPE       untied
    nanochat   RMSNorm (no parameters)    ReLU^2   RoPE       untied      QK-norm, logit soft-cap, norm after embedding

Any field can still be overridden (`GPTConfig.from_lineage("gpt2", positions="rope")`),
and `validate()` runs in `__post_init__`, so a config that cannot build a model
fails here with a message naming the fix, not three modules later as a shape error.

One more field picks *how* the same maths runs, decided once when the model is built:
`primitives="torch"` (the default, what training uses) builds torch's layers
(nn.Embedding, nn.Linear, nn.LayerNorm, nn.RMSNorm) and calls its fused kernels
(F.gelu, F.silu, F.scaled_dot_product_attention); `primitives="manual"` builds the
course's own from-scratch versions (TokenEmbedding, Linear, LayerNorm/RMSNorm over
norms.layer_norm/rms_norm, gelu, silu, softmax, the explicit attention), with the same
parameter names, so either loads the other's checkpoint and gives the same logits to
float32 rounding (phase1_model/tests/test_primitives.py). Only cross-entropy stays torch's:
phase 2 writes it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

# The defaults each lineage gives to the fields left as None (see the table above).
LINEAGES: dict[str, dict] = {
    "gpt2": dict(norm="layernorm", norm_affine=True, mlp="gelu", positions="learned", tie_embeddings=True,
                 qk_norm=False, logit_softcap=None, bias=True, embed_norm=False, init="gpt2"),
    "llama": dict(norm="rmsnorm", norm_affine=True, mlp="swiglu", positions="rope", tie_embeddings=False,
                  qk_norm=False, logit_softcap=None, bias=False, embed_norm=False, init="gpt2"),
    "nanochat": dict(norm="rmsnorm", norm_affine=False, mlp="relu2", positions="rope", tie_embeddings=False,
                     qk_norm=True, logit_softcap=15.0, bias=False, embed_norm=True, init="nanochat"),
}
CHOICES = dict(norm=("layernorm", "rmsnorm"), mlp=("gelu", "relu2", "swiglu"),
               positions=("learned", "sinusoidal", "rope"), init=("gpt2", "nanochat"),
               primitives=("torch", "manual"))
# Saved configs from before `primitives` existed name only attention's implementation.
LEGACY_ATTENTION_IMPL = {"sdpa": "torch", "manual": "manual"}


class ConfigError(ValueError):
    """A GPTConfig that cannot build a working model."""


@dataclass
class GPTConfig:
    vocab_size: int = 8192
    block_size: int = 256           # the longest context the model sees (positions 0..block_size-1)
    n_layer: int = 6
    n_head: int = 6                 # query heads
    n_kv_head: int | None = None    # key/value heads: None -> n_head (MHA); 1 -> MQA; in between -> GQA
    n_embd: int = 384
    lineage: str = "gpt2"
    # Lineage fields: None -> the lineage's default (LINEAGES above).
    norm: str | None = None                 # "layernorm" | "rmsnorm"
    norm_affine: bool | None = None         # learnable weight (and bias for LayerNorm when bias=True)
    mlp: str | None = None                  # "gelu" | "relu2" | "swiglu"
    mlp_hidden: int | None = None           # None: 4*n_embd, or ~8/3*n_embd rounded up to 64 for SwiGLU
    positions: str | None = None            # "learned" | "sinusoidal" | "rope"
    tie_embeddings: bool | None = None      # lm_head.weight is wte.weight
    qk_norm: bool | None = None             # RMS-normalise q and k per head before attention
    logit_softcap: float | None = None      # logits -> c * tanh(logits / c); None or 0: off
    bias: bool | None = None                # biases in Linear and LayerNorm
    embed_norm: bool | None = None          # RMS-normalise the token embedding (nanochat)
    init: str | None = None                 # "gpt2" | "nanochat" (see GPT.init_weights)
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    dropout: float = 0.0
    primitives: str = "torch"               # "torch" (torch's layers and fused kernels: train with this)
                                            # | "manual" (only the course's own from-scratch code, same numbers)

    def __post_init__(self):
        if self.lineage not in LINEAGES:
            raise ConfigError(f"lineage={self.lineage!r} is not one of {sorted(LINEAGES)}")
        for name, value in LINEAGES[self.lineage].items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        if self.logit_softcap == 0:
            self.logit_softcap = None
        if self.n_kv_head is None:
            self.n_kv_head = self.n_head
        if self.mlp_hidden is None:
            if self.mlp == "swiglu":  # 2/3 of 4*n_embd keeps the parameter count of a 4x MLP (Shazeer 2020)
                self.mlp_hidden = 64 * math.ceil(8 * self.n_embd / 3 / 64)
            else:
                self.mlp_hidden = 4 * self.n_embd
        self.validate()

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def manual(self) -> bool:
        """True when the forward must run the course's own primitives only (primitives="manual")."""
        return self.primitives == "manual"

    def validate(self, tokenizer=None) -> GPTConfig:
        """Raise ConfigError naming the fix if this config cannot build a model (or cannot
        embed every id of `tokenizer`, when one is given). Returns self."""
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_kv_head", "n_embd", "mlp_hidden"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{name}={value!r}: must be a positive integer")
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name}={getattr(self, name)!r}: choose one of {', '.join(allowed)}")
        if self.n_embd % self.n_head:
            lo = self.n_embd - self.n_embd % self.n_head
            raise ConfigError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}: each head gets "
                              f"n_embd/n_head channels; use n_embd={lo} or {lo + self.n_head}, or another n_head")
        if self.positions == "rope" and self.head_dim % 2:
            raise ConfigError(f"RoPE rotates channel pairs, so head_dim = n_embd/n_head must be even "
                              f"(got {self.n_embd}/{self.n_head} = {self.head_dim}); change n_embd or n_head")
        if self.positions == "sinusoidal" and self.n_embd % 2:
            raise ConfigError(f"sinusoidal positions need an even n_embd (sin/cos pairs), got {self.n_embd}")
        if self.n_head % self.n_kv_head:
            raise ConfigError(f"n_kv_head={self.n_kv_head} must divide n_head={self.n_head}: each key/value "
                              "head is shared by n_head/n_kv_head query heads (1 = MQA, n_head = plain MHA)")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout={self.dropout}: must be in [0, 1)")
        if self.logit_softcap is not None and self.logit_softcap <= 0:
            raise ConfigError(f"logit_softcap={self.logit_softcap}: use a positive cap (nanochat: 15) or None")
        if not (math.isfinite(self.rope_theta) and self.rope_theta > 0 and math.isfinite(self.norm_eps)
                and self.norm_eps > 0):  # written so that nan fails too (nan <= 0 is False)
            raise ConfigError(f"rope_theta={self.rope_theta} and norm_eps={self.norm_eps} must be finite and positive")
        if tokenizer is not None and tokenizer.vocab_size > self.vocab_size:
            raise ConfigError(f"the tokenizer has {tokenizer.vocab_size} ids but vocab_size={self.vocab_size}: "
                              f"ids >= {self.vocab_size} would index past the embedding table; set "
                              f"vocab_size={tokenizer.vocab_size} (or larger, e.g. rounded up to a multiple of 64)")
        return self

    @classmethod
    def from_lineage(cls, lineage: str, **overrides) -> GPTConfig:
        """The lineage's defaults plus any overrides: from_lineage("llama", n_layer=4)."""
        return cls(lineage=lineage, **overrides)

    def to_dict(self) -> dict:
        """Plain dict of resolved fields (ints, floats, strings): safe for torch.load(weights_only=True)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GPTConfig:
        d = dict(d)
        if "attention_impl" in d:  # a checkpoint saved before `primitives` replaced it
            legacy = d.pop("attention_impl")
            d.setdefault("primitives", LEGACY_ATTENTION_IMPL.get(legacy, legacy))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown GPTConfig fields {unknown}: was this saved by a newer version of the course?")
        return cls(**d)

    def diff(self, other: GPTConfig) -> list[str]:
        """Human-readable differences, 'field: self_value != other_value'."""
        a, b = self.to_dict(), other.to_dict()
        return [f"{k}: {a[k]!r} != {b[k]!r}" for k in a if a[k] != b[k]]
