"""Debugging challenge ★★★ (commit 1.1): the untrained bigram's loss is exactly ln(vocab) as it
should be, but the model fitted from counts (`fit_counts`) is barely better than uniform, and
gradient descent crawls. The table is read as next-token probabilities. Find the bug; which test
catches it?

    python -m tools.challenges debug_bigram_softmax_twice
"""
# ruff: noqa: F821 (runs inside a copy of phase1_model.bigram: its imports and names are in scope)

TARGET = "phase1_model.bigram"
COMMIT = "1.1"
EXERCISE = "bigram_forward"


def forward(self, idx, targets=None, ignore_index=-1):
    logits = softmax(self.table(idx), dim=-1)  # row of the table -> distribution over the next token
    loss = None
    if targets is not None:
        loss = F.cross_entropy(logits.view(-1, self.vocab_size), targets.reshape(-1), ignore_index=ignore_index)
    return logits, loss


BigramLanguageModel.forward = forward
