"""Sampling (commit 1.5): temperature, top-k and top-p keep exactly the tokens they promise."""

import pytest
import torch

PROBS = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
LOGITS = PROBS.log()


def draw(sample, n=4000, **kw):
    g = torch.Generator().manual_seed(0)
    logits = LOGITS.expand(n, 4)
    return torch.bincount(sample(logits, generator=g, **kw).view(-1), minlength=4) / n


@pytest.mark.commit("1.5", "sample_next_token")
def test_temperature_zero_is_greedy_and_output_is_b_by_1(impl):
    generate = impl("phase1_model.generate")
    logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]])
    out = generate.sample_next_token(logits, temperature=0.0)
    assert out.shape == (2, 1) and out.view(-1).tolist() == [1, 0]


@pytest.mark.commit("1.5", "sample_next_token")
def test_plain_sampling_follows_the_softmax_probabilities(impl):
    generate = impl("phase1_model.generate")
    freq = draw(generate.sample_next_token)
    torch.testing.assert_close(freq, PROBS[0], atol=0.03, rtol=0)


@pytest.mark.commit("1.5", "sample_next_token")
def test_top_k_keeps_the_k_most_likely_tokens_renormalised(impl):
    generate = impl("phase1_model.generate")
    freq = draw(generate.sample_next_token, top_k=2)
    torch.testing.assert_close(freq, torch.tensor([0.5, 0.3, 0, 0]) / 0.8, atol=0.03, rtol=0)


@pytest.mark.commit("1.5", "sample_next_token")
@pytest.mark.parametrize("top_p, kept", [(0.5, [0]), (0.7, [0, 1]), (0.79, [0, 1]), (0.81, [0, 1, 2]),
                                         (0.99, [0, 1, 2, 3])])
def test_top_p_keeps_the_smallest_set_reaching_p(impl, top_p, kept):
    generate = impl("phase1_model.generate")
    freq = draw(generate.sample_next_token, n=2000, top_p=top_p)
    assert set(torch.nonzero(freq).view(-1).tolist()) == set(kept)
    expected = torch.zeros(4)
    expected[kept] = PROBS[0, kept] / PROBS[0, kept].sum()
    torch.testing.assert_close(freq, expected, atol=0.04, rtol=0)


@pytest.mark.commit("1.5", "sample_next_token")
def test_high_temperature_flattens_the_distribution(impl):
    generate = impl("phase1_model.generate")
    freq = draw(generate.sample_next_token, temperature=100.0)
    torch.testing.assert_close(freq, torch.full((4,), 0.25), atol=0.03, rtol=0)


@pytest.mark.commit("1.5", "sample_next_token")
def test_the_generator_decides_the_draws_same_seed_same_tokens(impl):
    generate = impl("phase1_model.generate")
    logits = LOGITS.expand(500, 4)

    def sample(seed):
        torch.manual_seed(1234 + seed)  # the global RNG moves between calls: only `generator` may decide
        return generate.sample_next_token(logits, top_k=3, generator=torch.Generator().manual_seed(seed))

    assert torch.equal(sample(0), sample(0)), \
        "two draws with generators seeded alike differ: pass `generator=` to torch.multinomial"
    assert not torch.equal(sample(0), sample(1))


@pytest.mark.commit("1.5", "sample_next_token")
def test_seeded_generation_is_reproducible_and_leaves_training_mode_alone(impl):
    from phase1_model.gpt import GPT
    from phase1_model.tests.test_gpt import tiny
    generate = impl("phase1_model.generate")
    model = GPT(tiny()).train()
    prompt = torch.zeros(1, 1, dtype=torch.long)
    runs = []
    for noise in range(2):
        torch.manual_seed(noise)  # a different global RNG state each time: the seed alone must decide
        runs.append(generate.generate(model, prompt, 10, seed=1))
    assert torch.equal(runs[0], runs[1]), "generate(..., seed=1) gave different tokens twice"
    assert model.training
