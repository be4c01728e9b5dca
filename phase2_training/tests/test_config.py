"""Commit 2.2: config files, --key=value overrides, and errors that name the fix."""

import pytest

from phase2_training.config import ConfigError, TrainConfig, apply_overrides, load_config


@pytest.mark.commit("2.2")
@pytest.mark.parametrize("path", ["examples/tiny_model.py", "examples/demo_cpu.py", "examples/demo_gpu.py"])
def test_example_configs_load(path):
    cfg = load_config(path)
    assert isinstance(cfg, TrainConfig) and cfg.max_steps > 0


@pytest.mark.commit("2.2")
def test_overrides_are_parsed_with_the_field_type():
    cfg = load_config("examples/tiny_model.py", ["--lr=1e-3", "--max_steps=20", "--resume", "--max_bytes=none",
                                                 "--progress=false", "--model.mlp=gelu", "--model.n_layer=3"])
    assert (cfg.lr, cfg.max_steps, cfg.resume, cfg.max_bytes, cfg.progress) == (1e-3, 20, True, None, False)
    assert (cfg.model.mlp, cfg.model.n_layer, cfg.model.lineage) == ("gelu", 3, "nanochat")
    assert isinstance(cfg.max_steps, int)


@pytest.mark.commit("2.2")
@pytest.mark.parametrize("arg,message", [
    ("--lerning_rate=1e-3", "did you mean 'lr'"),
    ("--learning_rate=1e-3", "did you mean 'lr'"),        # nanoGPT's name
    ("--max_iters=10", "did you mean 'max_steps'"),
    ("--lr=fast", "expected float"),
    ("--max_steps=2.5", "expected int"),
    ("--max_steps=0", "positive integer"),
    ("--lr=-1", "positive number"),
    ("--schedule=linear", "choose one of cosine, wsd, constant"),
    ("--dtype=fp8", "choose one of fp32, bf16, fp16"),
    ("--resume=maybe", "boolean"),
    ("--lr", "needs a value"),
    ("lr=3", "--key=value"),
    ("--warmup_steps=5000", "lower warmup_steps"),
    ("--model.n_embd=130", "not divisible by n_head"),        # GPTConfig's own check
    ("--n_layer=3", "write --model.n_layer=3"),
    ("--model.n_layr=3", "did you mean 'model.n_layer'"),
])
def test_bad_overrides_raise_a_clear_error(arg, message):
    with pytest.raises(ConfigError, match=message):
        load_config("examples/tiny_model.py", [arg])


@pytest.mark.commit("2.2")
def test_config_file_errors_name_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.py")
    (tmp_path / "no_config.py").write_text("x = 1\n")
    with pytest.raises(ConfigError, match="must define `config = TrainConfig"):
        load_config(tmp_path / "no_config.py")
    (tmp_path / "typo.py").write_text("from phase2_training.config import TrainConfig\n"
                                      "config = TrainConfig(max_step=10)\n")
    with pytest.raises(ConfigError, match="did you mean 'max_steps'"):
        load_config(tmp_path / "typo.py")


@pytest.mark.commit("2.2")
def test_overrides_do_not_change_the_original():
    base = TrainConfig()
    new = apply_overrides(base, ["--lr=0.5"])
    assert base.lr != 0.5 and new.lr == 0.5


@pytest.mark.commit("2.2")
def test_train_cli_reports_config_errors_with_exit_status_2(capsys):
    from phase2_training.train import main
    assert main(["--config", "examples/tiny_model.py", "--lerning_rate=1"]) == 2
    assert "did you mean 'lr'" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "--max_steps" in capsys.readouterr().out


@pytest.mark.commit("2.2")
def test_the_config_holds_phase1s_gpt_config_and_a_new_lineage_re_resolves_it():
    from phase1_model import GPTConfig
    cfg = load_config("examples/tiny_model.py", ["--model.lineage=gpt2"])
    assert isinstance(cfg.model, GPTConfig)
    # the lineage's own choices, as GPTConfig.from_lineage would give them; the sizes are kept
    want = GPTConfig.from_lineage("gpt2", n_layer=cfg.model.n_layer, n_head=cfg.model.n_head,
                                  n_embd=cfg.model.n_embd, block_size=cfg.model.block_size)
    assert cfg.model == want and cfg.block_size == want.block_size
    assert cfg.model_config(300).vocab_size == 300


@pytest.mark.commit("2.2")
def test_model_overrides_derive_dependent_fields_again():
    from phase1_model import GPTConfig
    cfg = load_config("examples/tiny_model.py", ["--model.n_head=2", "--model.n_embd=64"])
    want = GPTConfig(lineage=cfg.model.lineage, n_layer=cfg.model.n_layer, n_head=2, n_embd=64,
                     block_size=cfg.model.block_size)  # n_kv_head and mlp_hidden as GPTConfig derives them
    assert cfg.model == want
