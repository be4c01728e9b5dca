"""The comparator reads any Python source: features are found by shape and name, definitions pair up
by name first and by similarity second, and the CLI prints markdown a doc can paste."""

import subprocess
import sys

import pytest

from tools.comparator.compare import main, render_markdown
from tools.comparator.features import FEATURE_KEYS
from tools.comparator.inventory import load_source, match_definitions
from tools.exercises import REPO_ROOT

# A nanoGPT-style model: learned positions, LayerNorm, GELU, SDPA, tied weights, no cache.
OURS = '''
import torch, torch.nn as nn, torch.nn.functional as F

class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.n_head = n_head

    def forward(self, x):
        q, k, v = self.c_attn(x).chunk(3, dim=-1)
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

class MLP(nn.Module):
    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))

class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight

def count_params(model):
    total = 0
    for p in model.parameters():
        total += p.numel()
    return total
'''

# A llama/nanochat-style model with different names: every "modern" feature, expressed by shape.
THEIRS = '''
import torch, torch.nn as nn, torch.nn.functional as F

def apply_rotary(x, cos, sin):
    d = x.shape[-1] // 2
    return torch.cat([x[..., :d] * cos - x[..., d:] * sin, x[..., :d] * sin + x[..., d:] * cos], -1)

class SelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, n_kv_head):
        super().__init__()
        self.c_q = nn.Linear(n_embd, n_embd)
        self.n_kv_head = n_kv_head

    def forward(self, x, cache=None):
        q, k, v = self.c_q(x), self.c_k(x), self.c_v(x)
        q, k = F.rms_norm(q, (q.size(-1),)), F.rms_norm(k, (k.size(-1),))
        if cache is not None:
            k, v = cache.insert_kv(k, v)
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)

class FeedForward(nn.Module):
    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))

class Transformer(nn.Module):
    def forward(self, x):
        logits = self.head(x)
        return 30.0 * torch.tanh(logits / 30.0)

def num_parameters(model):
    total = 0
    for p in model.parameters():
        total += p.numel()
    return total
'''


@pytest.fixture
def sources(tmp_path):
    (tmp_path / "ours.py").write_text(OURS)
    pkg = tmp_path / "theirs"
    pkg.mkdir()
    (pkg / "model.py").write_text(THEIRS)
    (pkg / "broken.py").write_text("def oops(:\n")
    return load_source(tmp_path / "ours.py"), load_source(pkg)


def found(src):
    return {key for key in FEATURE_KEYS if src.features[key]}


def test_features_are_detected_by_name_and_by_shape(sources):
    ours, theirs = sources
    assert {"learned_pos", "layernorm", "gelu", "sdpa", "tied"} <= found(ours)
    assert not {"rope", "kv_cache", "qk_norm", "softcap", "swiglu", "gqa", "rmsnorm"} & found(ours)
    # none of these is spelled out by name in THEIRS: rms_norm(q) -> QK-norm, c*tanh(x/c) -> soft-cap,
    # silu(a)*b -> SwiGLU, insert_kv -> KV cache, enable_gqa / n_kv_head -> GQA, apply_rotary -> RoPE
    assert {"rope", "kv_cache", "qk_norm", "softcap", "swiglu", "gqa", "rmsnorm", "sdpa"} <= found(theirs)
    assert not {"tied", "learned_pos", "gelu", "layernorm"} & found(theirs)
    softcap = theirs.features["softcap"][0]
    assert (softcap.file, softcap.what) == ("model.py", "c * tanh(x / c)")


def test_rope_name_pattern_does_not_fire_inside_other_words(tmp_path):
    (tmp_path / "a.py").write_text("class A:\n    @property\n    def properties(self):\n        return self.grope\n")
    assert not load_source(tmp_path / "a.py").features["rope"]


def test_definitions_pair_by_name_then_by_similarity(sources):
    ours, theirs = sources
    pairs = {(m.ours.name if m.ours else None, m.theirs.name if m.theirs else None): m.how
             for m in match_definitions(ours.definitions, theirs.definitions)}
    assert pairs[("CausalSelfAttention", "SelfAttention")] == "similar"
    assert pairs[("count_params", "num_parameters")] == "similar"        # same body, different name
    assert pairs[("GPT", None)] == ""                                     # nothing like it on their side
    assert pairs[(None, "apply_rotary")] == ""
    matches = match_definitions(ours.definitions, theirs.definitions)
    attn = next(m for m in matches if m.ours and m.ours.name == "CausalSelfAttention")
    assert {(c.ours.name, c.how) for c in attn.children if c.ours and c.theirs} == {("__init__", "name"),
                                                                                  ("forward", "name")}


def test_sizes_count_files_and_skip_unparsable_ones(sources):
    ours, theirs = sources
    assert ours.files == ["ours.py"] and len(theirs.files) == 2
    assert theirs.errors and theirs.errors[0].startswith("broken.py:1")
    assert ours.n_classes == 3 and theirs.n_classes == 3


def test_markdown_output_has_the_three_tables(sources, capsys, tmp_path):
    ours, theirs = sources
    md = render_markdown(ours, theirs, match_definitions(ours.definitions, theirs.definitions), ("a", "b"))
    assert md.count("### ") == 3 and "| RoPE (rotary positions) | no | yes: model.py:" in md
    assert main(["--ours", str(tmp_path / "ours.py"), "--theirs", str(tmp_path / "theirs"), "--markdown"]) == 0
    assert "| CausalSelfAttention  [ours.py] | " in capsys.readouterr().out


def test_missing_path_is_a_clear_error(tmp_path, capsys):
    assert main(["--ours", str(tmp_path / "nope.py"), "--theirs", str(tmp_path)]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_runs_as_a_script_on_our_own_model(sources, tmp_path):
    ours = REPO_ROOT / "phase1_model"
    if not (ours / "gpt.py").exists():
        pytest.skip("phase1_model/gpt.py not written yet")
    script = REPO_ROOT / "tools/comparator/compare.py"
    out = subprocess.run([sys.executable, str(script), "--ours", str(ours), "--theirs", str(tmp_path / "ours.py"),
                          "--markdown"], capture_output=True, text=True, check=True).stdout
    assert "### Features" in out and "| GPT  [gpt.py] | " in out
    # our model implements every lineage's features behind config switches: the detectors must see them
    assert {"rope", "kv_cache", "sdpa", "qk_norm", "gqa", "softcap", "rmsnorm", "tied"} <= found(load_source(ours))


def test_folders_skip_tests_and_stub_copies_unless_asked(tmp_path):
    for rel in ("pkg/model.py", "pkg/tests/test_model.py", "pkg/exercises/model.py", "pkg/test_extra.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("def f():\n    return 1\n")
    assert load_source(tmp_path / "pkg").files == ["model.py"]
    assert len(load_source(tmp_path / "pkg", exclude=()).files) == 4
