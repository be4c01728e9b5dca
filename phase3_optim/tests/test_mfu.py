"""MFU (commit 3.3): the definition, the device table, and a measured CPU peak."""

import pytest


@pytest.mark.commit("3.3", "mfu")
def test_mfu_is_achieved_flops_over_peak(impl):
    mfu = impl("phase3_optim.mfu")
    # a 124M model (6N ~ 0.75 GFLOP/token) at 400k tokens/s on an H100 (989 TFLOP/s bf16): ~30%
    assert mfu.mfu(6 * 124e6, 400_000, 989e12) == pytest.approx(6 * 124e6 * 4e5 / 989e12)
    for bad_peak in (0.0, -1.0):
        with pytest.raises(ValueError, match="peak_flops"):
            mfu.mfu(1.0, 1.0, bad_peak)


@pytest.mark.commit("3.3")
@pytest.mark.parametrize("name, dtype, peak", [("NVIDIA H100 80GB HBM3", "bf16", 989e12),
                                               ("NVIDIA H100 PCIe", "bf16", 756e12),
                                               ("NVIDIA A100-SXM4-80GB", "bf16", 312e12),
                                               ("NVIDIA H200", "bf16", 989e12),
                                               ("NVIDIA H200 NVL", "bf16", 835e12),  # not the SXM part's 989
                                               ("NVIDIA H100 NVL", "fp32", 60e12)])
def test_device_peaks_are_found_from_cuda_device_names(name, dtype, peak):
    from phase3_optim.mfu import device_peak_flops
    assert device_peak_flops(name, dtype) == peak


@pytest.mark.commit("3.3")
def test_unknown_device_error_says_how_to_fix_it():
    from phase3_optim.mfu import device_peak_flops
    with pytest.raises(KeyError, match="DEVICE_PEAKS"):
        device_peak_flops("NVIDIA L40S")


@pytest.mark.commit("3.3")
def test_measured_cpu_peak_is_2n_cubed_over_the_best_time(monkeypatch):
    """With a scripted clock the measurement is exact: 3 repeats taking 0.5, 0.25 and 0.4 s -> best 0.25 s."""
    from phase3_optim import mfu
    ticks = iter([0.0, 0.5, 1.0, 1.25, 2.0, 2.4])
    monkeypatch.setattr(mfu.time, "perf_counter", lambda: next(ticks))
    assert mfu.measure_matmul_peak(n=64, repeats=3) == 2 * 64 ** 3 / 0.25
