"""Alternative solution (commit 3.3, activation_values_per_token): the per-layer count as a table of
named terms, one per saved tensor (summed at the end), then the once-per-token terms the same way.
Longer than the reference's running sum, but each number says which tensor it is; the same total."""

TARGET = "phase3_optim.memory"
COMMIT = "3.3"
EXERCISE = "activation_values_per_token"


def activation_values_per_token(config):
    C, h, T = config.n_embd, config.mlp_hidden, config.block_size
    q_heads, kv_heads = config.n_head, config.n_kv_head
    kv = kv_heads * config.head_dim
    norm_stats = {"layernorm": 2}.get(config.norm, 1)  # LayerNorm keeps mean and rstd, RMSNorm rstd
    a_norm = {"input": C, "stats": norm_stats, "output": C}
    layer = {
        "ln_1": sum(a_norm.values()),
        "ln_2": sum(a_norm.values()),
        "qkv projection output": C + 2 * kv,
        "SDPA output and its logsumexp per head": C + q_heads,
        "rotated q and k": (C + kv) if config.positions == "rope" else 0,
        "normed q, k and their rstd": (C + kv + q_heads + kv_heads) if config.qk_norm else 0,
        "MLP": {"swiglu": 5 * h}.get(config.mlp, 2 * h),
        "scores and weights (manual attention)": 2 * q_heads * T if config.primitives == "manual" else 0,
    }
    once = {"ln_f": sum(a_norm.values()), "log-probabilities": config.vocab_size,
            "int64 input and target ids": 4}  # 2 x 8 bytes = 4 float32-sized values
    return config.n_layer * sum(layer.values()) + sum(once.values())
