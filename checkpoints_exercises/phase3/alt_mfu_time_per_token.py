"""Alternative solution (commit 3.3, mfu): MFU as a ratio of times, the time the peak would need for a
token's FLOPs over the time a token actually takes (1 / tokens_per_second). The guard is written
`not peak_flops > 0`, which also refuses a NaN peak. The same number."""

TARGET = "phase3_optim.mfu"
COMMIT = "3.3"
EXERCISE = "mfu"


def mfu(flops_per_token, tokens_per_second, peak_flops):
    if not peak_flops > 0:
        raise ValueError(f"peak_flops={peak_flops}: must be a positive FLOP/s figure")
    ideal_seconds = flops_per_token / peak_flops     # a token at the hardware's peak
    actual_seconds = 1.0 / tokens_per_second         # a token as measured
    return ideal_seconds / actual_seconds
