"""Debugging challenge ★★★ (commit 3.3): the memory estimate says a longer context will not fit, but
the run fits with room to spare, and the overestimate grows with block_size. The estimator counts
what attention keeps for backward as the textbook draws it: the scores and the softmax weights.
Find the bug; which test catches it? (Which SDPA kernel runs on the default path, and what does it save?)

    python -m tools.challenges debug_activations_count_attention_matrix
"""

TARGET = "phase3_optim.memory"
COMMIT = "3.3"
EXERCISE = "activation_values_per_token"


def activation_values_per_token(config):
    C, h, H, Hkv = config.n_embd, config.mlp_hidden, config.n_head, config.n_kv_head
    kv_dim = Hkv * config.head_dim
    stats = 2 if config.norm == "layernorm" else 1
    norm = C + stats + C
    per_layer = 2 * norm + (C + 2 * kv_dim) + (C + H)
    if config.positions == "rope":
        per_layer += C + kv_dim
    if config.qk_norm:
        per_layer += C + kv_dim + H + Hkv
    per_layer += 5 * h if config.mlp == "swiglu" else 2 * h
    per_layer += 2 * H * config.block_size  # attention: scores and softmax weights, (T, T) per head
    return config.n_layer * per_layer + norm + config.vocab_size + 4
