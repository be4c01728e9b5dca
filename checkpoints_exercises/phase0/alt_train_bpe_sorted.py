"""Alternative solution (commit 0.2, train_bpe): the tie rule as a sort instead of a max with a key.
Each round sorts the candidate pairs by (count, bytes of a, bytes of b, a, b) and takes the last;
the chunks are kept as tuples and merged with a list comprehension over them. O(n log n) per round
instead of O(n), same merges.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_train_bpe_sorted.py \
        --commit=0.2:train_bpe phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.bpe"
COMMIT = "0.2"
EXERCISE = "train_bpe"


def train_bpe(text, vocab_size, pattern=GPT4_SPLIT_PATTERN, special_tokens=(), verbose=False):  # noqa: F821
    rounds = check_vocab_size(vocab_size)  # noqa: F821
    chunks = [tuple(c) for c in text_to_chunks(text, pattern, special_tokens)]  # noqa: F821
    spelled = {i: bytes([i]) for i in range(256)}
    merges = {}
    for new_id in range(256, 256 + rounds):
        tally = {}
        for chunk in chunks:
            for pair in zip(chunk, chunk[1:]):
                tally[pair] = tally.get(pair, 0) + 1
        if not tally:
            break
        best = sorted(tally, key=lambda p: (tally[p], spelled[p[0]], spelled[p[1]], p))[-1]
        chunks = [tuple(merge(list(c), best, new_id)) for c in chunks]  # noqa: F821
        merges[best] = new_id
        spelled[new_id] = spelled[best[0]] + spelled[best[1]]
    return merges
