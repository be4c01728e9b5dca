"""Commit 2.2: device choice, seeding and RNG state capture."""

import io
import random

import numpy as np
import pytest
import torch

from phase2_training.device import autocast_context, pick_device, rng_state, seed_everything, set_rng_state


@pytest.mark.commit("2.2")
def test_auto_picks_the_best_available_device():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device("auto").type == expected
    assert pick_device("cpu").type == "cpu"


@pytest.mark.commit("2.2")
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_a_missing_gpu_is_an_error_not_a_fallback():
    with pytest.raises(RuntimeError, match="--device=cpu"):
        pick_device("cuda")


@pytest.mark.commit("2.2")
def test_rng_state_survives_a_weights_only_round_trip():
    seed_everything(7)
    buf = io.BytesIO()
    torch.save(rng_state(), buf)
    first = (random.random(), np.random.rand(), torch.rand(2))
    buf.seek(0)
    set_rng_state(torch.load(buf, weights_only=True))
    again = (random.random(), np.random.rand(), torch.rand(2))
    assert first[:2] == again[:2] and torch.equal(first[2], again[2])


@pytest.mark.commit("2.2")
def test_fp32_autocast_is_a_no_op_and_bf16_autocasts_on_cpu():
    with autocast_context("fp32", torch.device("cpu"))():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    with autocast_context("bf16", torch.device("cpu"))():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
