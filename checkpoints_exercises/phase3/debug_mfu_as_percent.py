"""Debugging challenge ★★★ (commit 3.3): the training log reads "mfu 31.4" on an H100, which looks
right, but every table that formats MFU as a percentage says the run reached 3140% of the GPU's
peak. Find the bug; which test catches it?

    python -m tools.challenges debug_mfu_as_percent
"""

TARGET = "phase3_optim.mfu"
COMMIT = "3.3"
EXERCISE = "mfu"


def mfu(flops_per_token, tokens_per_second, peak_flops):
    if peak_flops <= 0:
        raise ValueError(f"peak_flops={peak_flops}: must be positive")
    return 100 * flops_per_token * tokens_per_second / peak_flops  # MFU is quoted in percent
