"""Alternative solution (commit 1.5, flops_per_token): count N by walking the parameters and
skipping the lookup tables by name, instead of subtracting them from num_params(). A tied wte is the
same tensor as lm_head.weight and named parameters list it once (as wte), so it is kept when tied."""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "flops_per_token"


def flops_per_token(self, seq_len=None):
    cfg = self.config
    lookup = {"transformer.wpe.weight"} | (set() if cfg.tie_embeddings else {"transformer.wte.weight"})
    N = sum(p.numel() for name, p in self.named_parameters() if name not in lookup)
    T = seq_len if seq_len is not None else cfg.block_size
    forward_backward_matmuls = 6 * N
    attention = 3 * cfg.n_layer * cfg.n_head * (2 * 2 * T * cfg.head_dim)  # q.k and w.v, x3 with backward
    return forward_backward_matmuls + attention


GPT.flops_per_token = flops_per_token  # noqa: F821 (the copy's class)
