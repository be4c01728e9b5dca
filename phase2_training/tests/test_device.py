"""Commit 2.2: device choice and autocast (capturing the RNG states for a resume: test_resume.py)."""


import pytest
import torch

from phase2_training.device import autocast_context, pick_device


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
def test_fp32_autocast_is_a_no_op_and_bf16_autocasts_on_cpu():
    with autocast_context("fp32", torch.device("cpu"))():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    with autocast_context("bf16", torch.device("cpu"))():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
