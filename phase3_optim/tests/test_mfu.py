"""MFU (commit 3.3): the definition, the device table, and a measured CPU peak."""

import pytest


@pytest.mark.commit("3.3", "mfu")
def test_mfu_is_achieved_flops_over_peak(impl):
    mfu = impl("phase3_optim.mfu")
    # a 124M model (6N ~ 0.75 GFLOP/token) at 400k tokens/s on an H100 (989 TFLOP/s bf16): ~30%
    assert mfu.mfu(6 * 124e6, 400_000, 989e12) == pytest.approx(6 * 124e6 * 4e5 / 989e12)
    with pytest.raises(ValueError):
        mfu.mfu(1.0, 1.0, 0.0)


@pytest.mark.commit("3.3")
@pytest.mark.parametrize("name, dtype, peak", [("NVIDIA H100 80GB HBM3", "bf16", 989e12),
                                               ("NVIDIA H100 PCIe", "bf16", 756e12),
                                               ("NVIDIA A100-SXM4-80GB", "bf16", 312e12)])
def test_device_peaks_are_found_from_cuda_device_names(name, dtype, peak):
    from phase3_optim.mfu import device_peak_flops
    assert device_peak_flops(name, dtype) == peak


@pytest.mark.commit("3.3")
def test_unknown_device_error_says_how_to_fix_it_and_cpu_peak_is_measurable():
    from phase3_optim.mfu import device_peak_flops, measure_matmul_peak
    with pytest.raises(KeyError, match="DEVICE_PEAKS"):
        device_peak_flops("NVIDIA L40S")
    assert 1e8 < measure_matmul_peak(n=128, repeats=3) < 1e14
