"""Memory estimator (commit 3.3): the activation formula against autograd's saved tensors, the total
against the measured peak resident memory of a real training step (fresh subprocess, CPU)."""

import sys

import pytest

from phase1_model import GPT, GPTConfig

CONFIGS = {
    "gpt2": dict(vocab_size=256, block_size=64, n_layer=2, n_head=4, n_embd=64),
    "llama": dict(vocab_size=512, block_size=32, n_layer=3, n_head=4, n_embd=64, n_kv_head=2),
    "nanochat": dict(vocab_size=256, block_size=64, n_layer=2, n_head=2, n_embd=128),
}


@pytest.mark.commit("3.3", "activation_values_per_token")
@pytest.mark.parametrize("lineage", sorted(CONFIGS))
def test_activation_estimate_is_within_10_percent_of_what_autograd_saves(impl, lineage):
    from phase3_optim.memory import measure_saved_activations
    memory = impl("phase3_optim.memory")
    model = GPT(GPTConfig.from_lineage(lineage, **CONFIGS[lineage]))
    estimated = memory.activation_values_per_token(model.config) * 4 * 4 * model.config.block_size
    measured = measure_saved_activations(model, batch_size=4, seq_len=model.config.block_size)
    assert estimated == pytest.approx(measured, rel=0.10)


@pytest.mark.commit("3.3")
def test_optimizer_state_counts_two_values_for_adamw_and_one_for_muon_matrices():
    from phase3_optim.memory import optimizer_state_values
    from phase3_optim.param_groups import classify_parameters
    model = GPT(GPTConfig.from_lineage("llama", **CONFIGS["llama"]))
    n = sum(p.numel() for p in model.parameters())
    matrices = sum(p.numel() for _, p in classify_parameters(model)["matrix"])
    assert optimizer_state_values(model, "adamw") == 2 * n
    assert optimizer_state_values(model, "muon") == 2 * n - matrices


@pytest.mark.commit("3.3")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and ru_maxrss")
def test_estimated_total_is_within_5_percent_of_measured_peak_memory():
    """Measured here (torch 2.13, Linux, 2 loaded cores): estimate / measured = 0.999-1.001 in most runs,
    0.95 in some (the measured peak then holds ~2.3 MB more, about one copy of the parameters: an
    allocator/timing effect of the step, not a term the estimate models). The smallest term a wrong
    estimator could drop matters: a third of the logits term is ~10% of this total (12 MiB of logits in
    41 MiB; the first assert keeps it above 8%), so the tolerance must stay under 8%: 7% covers the
    observed 5.3% excess and still fails an estimator that drops a third of the logits."""
    from phase3_optim.memory import estimate_memory, measure_peak_memory
    cfg = GPTConfig.from_lineage("gpt2", vocab_size=1024, block_size=128, n_layer=2, n_head=4, n_embd=128)
    estimate = estimate_memory(GPT(cfg), batch_size=8, seq_len=128, optimizer="adamw")
    measured = measure_peak_memory(cfg, batch_size=8, seq_len=128, optimizer="adamw")
    assert estimate.logits / 3 > 0.08 * measured, "the check below must be able to see a third of the logits"
    assert estimate.total == pytest.approx(measured, rel=0.07), f"\n{estimate.table()}\nmeasured {measured:,}"
