"""Debugging challenge ★★ (commit 1.1): a data pipeline pads batches with -1. Training runs, the loss
looks normal, and the last token of the vocabulary ends up with a strangely well-trained embedding.
The range check is there. Find the bug; which test catches it?"""

TARGET = "phase1_model.embedding"
COMMIT = "1.1"
EXERCISE = "token_embedding"


def forward(self, idx):
    if idx.numel() and int(idx.max()) >= self.num_embeddings:
        raise IndexError(f"token ids must be < {self.num_embeddings}: is the tokenizer's vocab larger?")
    return self.weight[idx]


TokenEmbedding.forward = forward  # noqa: F821 (the copy's class)
