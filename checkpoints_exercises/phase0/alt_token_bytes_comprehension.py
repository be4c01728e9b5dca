"""Alternative solution (commit 0.4, token_bytes): build the whole table as one Python list (a
token's length, or 0 for an id that is not a BPE token, i.e. a special) and make one tensor of it,
instead of filling a zero tensor entry by entry.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_token_bytes_comprehension.py \
        --commit=0.4:token_bytes phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "token_bytes"

import torch  # noqa: E402


def token_bytes(tokenizer):
    vocab = tokenizer.vocab
    return torch.tensor([len(vocab.get(i, b"")) for i in range(tokenizer.vocab_size)], dtype=torch.int64)
