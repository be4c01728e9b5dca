"""TrainConfig: everything a training run needs, from a plain Python file plus --key=value overrides.

    python -m phase2_training.train --config examples/tiny_model.py --max_steps=200 --lr=1e-3

A config file is ordinary Python that defines `config = TrainConfig(...)` (as
nanoGPT's config/*.py files set globals, but typed). Overrides are parsed with
the field's type, and every value is checked before any tensor exists, so a typo
fails in a second with a message naming the fix ("unknown key 'lerning_rate';
did you mean 'lr'?"), not an hour later.

The model is phase 1's GPTConfig, held whole (`config.model`), not copied field by
field: `--model.n_layer=4` overrides one of its fields and GPTConfig checks it.
Its vocab_size is the tokenizer's, set when the model is built. A few keys are read
only by later phases' entries (optimizer names beyond "adamw", fp16, strategy,
dist_timeout_s); phase 2 stores them and its own entry refuses what it cannot run.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import math
import re
import runpy
import traceback
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from phase1_model.config import ConfigError, GPTConfig
from phase2_training.schedule import SCHEDULES

FLOAT32_MAX = 3.4028234663852886e38  # the optimizers compute in float32: a larger lr overflows inside them
DTYPES = ("fp32", "bf16", "fp16")           # autocast dtypes; fp16 also needs phase 3's loss scaler
DEVICES = ("auto", "cpu", "cuda", "mps")
SIZE_FIELDS = ("vocab_size", "block_size", "n_layer", "n_head", "n_kv_head", "n_embd", "mlp_hidden", "dropout",
               "rope_theta", "norm_eps", "primitives")  # what a change of lineage keeps (the rest is the lineage's)


def default_model() -> GPTConfig:
    return GPTConfig(lineage="nanochat", n_layer=4, n_head=4, n_embd=128, block_size=128)


@dataclass
class TrainConfig:
    # ---- run
    out_dir: str = "runs/tiny"           # metrics.jsonl, checkpoints/, loss.png, samples.txt
    seed: int = 1337
    device: str = "auto"                 # auto = cuda > mps > cpu
    dtype: str = "fp32"                  # fp32 | bf16 | fp16 (autocast; fp16 needs phase 3's scaler)
    threads: int = 0                     # torch.set_num_threads on CPU; 0 = torch's default
    compile: bool = False                # torch.compile the model (worth it on GPUs)
    strategy: str = "auto"               # phase 4's entry: single | ddp | zero1 | fsdp | auto (under torchrun)
    dist_timeout_s: float = 600.0        # phase 4: how long a collective may wait for the slowest rank
    # ---- data: tokenizer and shards are built once under data_root, then reused
    corpus: str = "asv"
    max_bytes: int | None = None         # use only the first max_bytes of the corpus (None = all)
    vocab_size: int = 4096               # tokenizer size, specials included
    tokenizer_bytes: int | None = 1_000_000  # train the tokenizer on this prefix (BPE training is the slow part)
    val_fraction: float = 0.05           # share of documents held out for validation
    data_root: str = "runs/data"
    # ---- model: phase 1's GPTConfig, whole (its vocab_size is replaced by the tokenizer's)
    model: GPTConfig = field(default_factory=default_model)
    # ---- optimisation
    optimizer: str = "adamw"             # phase 2: adamw (torch's); phase 3's entry: adamw | adam | sgd | muon
    batch_size: int = 16                 # sequences per micro-batch (per process)
    grad_accum_steps: int = 1            # micro-batches per optimizer step
    max_steps: int = 1000
    lr: float = 3e-3
    min_lr_frac: float = 0.1             # schedule floor, as a fraction of lr
    schedule: str = "cosine"             # cosine | wsd | constant
    warmup_steps: int = 50
    decay_frac: float = 0.2              # wsd: share of max_steps spent decaying
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0               # 0 = off
    # ---- evaluation, logging, checkpoints
    eval_interval: int = 100             # steps between val evaluations (and at the end)
    eval_iters: int = 10                 # val batches per evaluation
    log_interval: int = 10               # steps between metrics lines
    checkpoint_interval: int = 500       # steps between checkpoints (and at the end); 0 = only at the end
    keep_checkpoints: int = 2            # newest checkpoints kept on disk
    resume: bool = False                 # continue from the newest checkpoint in out_dir
    overwrite: bool = False              # fresh run into a used out_dir: move the old run to <out_dir>.old-<time>
    progress: bool = True                # rich progress bar (tokens/s, loss, lr, ETA)
    sample_tokens: int = 0               # >0: write samples of this length at the end

    def __post_init__(self):
        self.validate()

    @property
    def block_size(self) -> int:
        return self.model.block_size

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.block_size * self.grad_accum_steps

    def model_config(self, vocab_size: int) -> GPTConfig:
        """The GPTConfig to build: this config's model with the tokenizer's vocabulary size."""
        return dataclasses.replace(self.model, vocab_size=vocab_size)

    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the fix for any value that cannot work. Returns self."""
        if not isinstance(self.model, GPTConfig):
            raise ConfigError("model must be a phase1_model.GPTConfig, e.g. GPTConfig(lineage='nanochat', n_layer=4)")
        positive = ("vocab_size", "batch_size", "grad_accum_steps", "max_steps", "eval_interval", "eval_iters",
                    "log_interval", "keep_checkpoints")
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name}={value!r}: must be a positive integer")
        for name in ("seed", "warmup_steps", "checkpoint_interval", "threads", "sample_tokens"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name}={value!r}: must be an integer >= 0")
        for name, choices in (("dtype", DTYPES), ("device", DEVICES), ("schedule", SCHEDULES)):
            value = getattr(self, name)
            base = value.split(":")[0] if name == "device" and isinstance(value, str) else value
            if base not in choices:
                raise ConfigError(f"{name}={value!r}: choose one of {', '.join(choices)}")
        # `nan > 0` is False, so every check below is written as "finite AND in range": --lr=inf or
        # --grad_clip=nan must fail here, not silently turn clipping off or poison the first update.
        if not (_is_number(self.lr) and math.isfinite(self.lr) and 0 < self.lr < FLOAT32_MAX):
            raise ConfigError(f"lr={self.lr!r}: must be a finite positive number, also in float32 (< 3.4e38); "
                              "try 3e-3 for a tiny model")
        for name in ("out_dir", "data_root"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{name}={value!r}: must name a folder (an empty --{name}= would write into "
                                  "the current directory), e.g. --out_dir=runs/tiny")
        if self.seed >= 2**63:  # torch.manual_seed takes a 64-bit signed integer
            raise ConfigError(f"seed={self.seed}: must be < 2**63")
        if self.warmup_steps > self.max_steps:
            raise ConfigError(f"warmup_steps={self.warmup_steps} > max_steps={self.max_steps}: "
                              "lower warmup_steps (a few percent of max_steps is typical)")
        for name in ("min_lr_frac", "decay_frac"):
            if not (_is_number(getattr(self, name)) and 0 <= getattr(self, name) <= 1):
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be in [0, 1]")
        for name in ("beta1", "beta2"):  # beta = 1 divides by 1 - beta^t = 0 in Adam's bias correction
            if not (_is_number(getattr(self, name)) and 0 <= getattr(self, name) < 1):
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be in [0, 1) (typical: beta1=0.9, "
                                  "beta2=0.95)")
        if not (isinstance(self.dist_timeout_s, (int, float)) and self.dist_timeout_s > 0):
            raise ConfigError(f"dist_timeout_s={self.dist_timeout_s!r}: must be a positive number of seconds")
        if not 0 < self.val_fraction <= 0.5:
            raise ConfigError(f"val_fraction={self.val_fraction!r}: must be in (0, 0.5]; the run reports "
                              "validation loss and bits per byte, so some documents must be held out")
        for name in ("weight_decay", "grad_clip"):
            value = getattr(self, name)
            if not (_is_number(value) and math.isfinite(value) and 0 <= value < FLOAT32_MAX):
                raise ConfigError(f"{name}={value!r}: must be a finite number >= 0 (grad_clip=0 turns clipping "
                                  "off; typical: weight_decay=0.1, grad_clip=1.0)")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_value(name: str, text: str, annotation) -> object:
    """Turn the string of `--name=text` into the field's type (int, float, bool, str, None, dict)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):  # `int | None`
        if text.lower() == "none":
            return None
        annotation = next(a for a in args if a is not type(None))
    if annotation is bool:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"--{name}={text}: expected a boolean (true/false)")
    if annotation in (int, float):
        try:
            value = float(text) if annotation is float else int(float(text)) if "e" in text.lower() else int(text)
        except ValueError:
            raise ConfigError(f"--{name}={text}: expected {annotation.__name__}") from None
        if annotation is int and "e" in text.lower() and float(text) != value:
            raise ConfigError(f"--{name}={text}: expected an integer")
        return value
    if annotation is dict or typing.get_origin(annotation) is dict:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = None
        if not isinstance(value, dict):
            raise ConfigError(f"--{name}={text}: expected a dict literal like \"{{'mlp': 'gelu'}}\"")
        return value
    return text


# nanoGPT's names for our keys, so a nanoGPT habit gets a precise hint
NANOGPT_NAMES = {"learning_rate": "lr", "max_iters": "max_steps", "warmup_iters": "warmup_steps",
                 "gradient_accumulation_steps": "grad_accum_steps", "min_lr": "min_lr_frac",
                 "lr_decay_iters": "max_steps"}


def _unknown(name: str, known: list[str]) -> ConfigError:
    close = difflib.get_close_matches(name, known + list(NANOGPT_NAMES), n=1)
    close = [NANOGPT_NAMES.get(c, c) for c in close]
    hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
    return ConfigError(f"unknown config key '{name}'{hint}")


def override_model(model: GPTConfig, changes: dict) -> GPTConfig:
    """GPTConfig with `changes` applied; a new lineage re-resolves the lineage fields (keeping the sizes)."""
    if "lineage" in changes and changes["lineage"] != model.lineage:
        base = {k: getattr(model, k) for k in SIZE_FIELDS}  # the old lineage's norm, mlp, ... are dropped
    else:
        base = model.to_dict()
    # fields GPTConfig derived from others (n_kv_head = n_head, mlp_hidden from n_embd) are derived again
    probe = GPTConfig(**{**model.to_dict(), "n_kv_head": None, "mlp_hidden": None})
    for name in ("n_kv_head", "mlp_hidden"):
        if name not in changes and getattr(model, name) == getattr(probe, name):
            base[name] = None
    try:
        return GPTConfig(**{**base, **changes})  # GPTConfig.__post_init__ resolves and validates
    except ConfigError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as e:  # a value of the wrong kind for a field
        shown = ", ".join(f"--model.{k}={v!r}" for k, v in changes.items())
        raise ConfigError(f"{shown}: not a valid model setting ({type(e).__name__}: {e}); "
                          "see --help for each model field and its default") from None


def apply_overrides(cfg: TrainConfig, overrides: list[str]) -> TrainConfig:
    """A new config with `--key=value` strings applied (a bare `--flag` means true), then validated.
    `--model.<field>=value` sets a field of the GPTConfig (`--model.n_layer=4`, `--model.mlp=gelu`)."""
    hints = typing.get_type_hints(TrainConfig)
    model_hints = typing.get_type_hints(GPTConfig)
    known = [f.name for f in dataclasses.fields(TrainConfig) if f.name != "model"]
    known_model = [f"model.{f.name}" for f in dataclasses.fields(GPTConfig)]
    changes, model_changes = {}, {}
    for item in overrides:
        if not item.startswith("--"):
            raise ConfigError(f"unexpected argument {item!r}: overrides look like --key=value")
        name, eq, text = item[2:].partition("=")
        name = name.replace("-", "_")
        if name.startswith("model."):
            if name not in known_model:
                raise _unknown(name, known_model)
            field_hint = model_hints[name[len("model."):]]
        elif name in known:
            field_hint = hints[name]
        elif f"model.{name}" in known_model:  # --n_layer=4: a model field without its prefix
            raise ConfigError(f"--{name} is a model field: write --model.{name}={text or '...'}")
        else:
            raise _unknown(name, known + known_model)
        if not eq:
            if field_hint is not bool:
                raise ConfigError(f"--{name} needs a value: --{name}=...")
            text = "true"
        value = _parse_value(name, text, field_hint)
        if name.startswith("model."):
            model_changes[name[len("model."):]] = value
        else:
            changes[name] = value
    if model_changes:
        changes["model"] = override_model(cfg.model, model_changes)
    return dataclasses.replace(cfg, **changes)  # runs __post_init__, so validate()


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    """The TrainConfig defined as `config` in the Python file `path` (defaults if None), plus overrides."""
    cfg = TrainConfig()
    if path is not None:
        path = Path(path)
        if not path.is_file():
            examples = sorted(p.as_posix() for p in Path("examples").glob("*.py") if p.name != "__init__.py")
            raise ConfigError(f"config file {path} not found" + (f"; try one of {examples}" if examples else ""))
        try:
            namespace = runpy.run_path(str(path))
        except ConfigError as e:  # TrainConfig(lr=-1) in the file: validate() said why
            raise ConfigError(f"{path}: {e}") from None
        except SyntaxError as e:  # a config file is Python: point at the line, as the interpreter would
            raise ConfigError(f"{path}, line {e.lineno}: syntax error ({e.msg}): fix the file; it is "
                              "plain Python that sets `config = TrainConfig(...)`") from None
        except Exception as e:  # noqa: BLE001 -- anything the file raises is the file's problem, not a crash
            bad = re.search(r"unexpected keyword argument '(\w+)'", str(e)) if isinstance(e, TypeError) else None
            if bad:  # TrainConfig(lerning_rate=...) in the file
                raise ConfigError(f"{path}: {_unknown(bad[1], [f.name for f in dataclasses.fields(TrainConfig)])}") \
                    from None
            line = next((f.lineno for f in reversed(traceback.extract_tb(e.__traceback__))
                         if Path(f.filename).resolve() == path.resolve()), None)
            where = f", line {line}" if line else ""
            raise ConfigError(f"{path}{where} raised {type(e).__name__}: {e}: fix the config file") from None
        cfg = namespace.get("config")
        if not isinstance(cfg, TrainConfig):
            raise ConfigError(f"{path} must define `config = TrainConfig(...)` "
                              "(from phase2_training.config import TrainConfig)")
    return apply_overrides(cfg, overrides or [])
