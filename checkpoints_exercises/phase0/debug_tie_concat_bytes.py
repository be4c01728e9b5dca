"""Debugging challenge ★★★ (commit 0.2): the naive trainer picks the most frequent pair, and breaks
ties "by bytes" as the docstring says, so two runs always agree with each other. Yet its merges
differ from the fast trainer's and from a colleague's on some texts, and even Wikipedia's
"aaabdaaabac" example comes out different. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_tie_concat_bytes.py --commit 0.2:train_bpe
"""

TARGET = "phase0_tokenizer.bpe"
COMMIT = "0.2"
EXERCISE = "train_bpe"


def train_bpe(text, vocab_size, pattern=GPT4_SPLIT_PATTERN, special_tokens=(), verbose=False):  # noqa: F821
    num_merges = check_vocab_size(vocab_size)  # noqa: F821
    chunks = text_to_chunks(text, pattern, special_tokens)  # noqa: F821
    vocab = {i: bytes([i]) for i in range(256)}
    merges = {}
    for new_id in range(256, 256 + num_merges):
        counts = {}
        for ids in chunks:
            get_pair_counts(ids, counts)  # noqa: F821
        if not counts:
            break
        pair = max(counts, key=lambda p: (counts[p], vocab[p[0]] + vocab[p[1]], p))  # the bytes of the merged token
        chunks = [merge(ids, pair, new_id) for ids in chunks]  # noqa: F821
        merges[pair] = new_id
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
    return merges
