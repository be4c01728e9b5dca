"""Debugging challenge ★★★ (commit 1.5): the MFU printed by a run at seq_len 64 on a block_size 1024
model looks great, better than at seq_len 1024, although tokens/s barely moved. Find the bug; which
test catches it?"""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "flops_per_token"


def flops_per_token(self, seq_len=None):
    cfg = self.config
    N = self.num_params()
    if "wpe" in self.transformer:
        N -= self.transformer.wpe.weight.numel()
    if not cfg.tie_embeddings:
        N -= self.transformer.wte.weight.numel()
    return 6 * N + 12 * cfg.n_layer * cfg.n_head * cfg.head_dim * cfg.block_size


GPT.flops_per_token = flops_per_token  # noqa: F821 (GPT is the copy's class)
