"""Alternative solution (commit 1.1, bigram_forward): cross-entropy written out as the mean negative
log-probability of each target, -log_softmax(logits)[target], over the positions that are not
ignore_index (the reference calls F.cross_entropy, which computes the same)."""

TARGET = "phase1_model.bigram"
COMMIT = "1.1"
EXERCISE = "bigram_forward"

import torch.nn.functional as F  # noqa: E402


def forward(self, idx, targets=None, ignore_index=-1):
    logits = self.table.weight[idx]
    if targets is None:
        return logits, None
    keep = targets != ignore_index
    logp = F.log_softmax(logits[keep], dim=-1)
    loss = -logp.gather(-1, targets[keep][:, None]).mean()
    return logits, loss


BigramLanguageModel.forward = forward  # noqa: F821 (the copy's class)
