"""Debugging challenge ★★★ (commit 0.3): GPT-2's merges loaded fine, every text round-trips
(decode(encode(s)) == s), no error anywhere; yet the Bible takes 1.7x as many tokens as with
tiktoken and the same merges, and " the" comes out as two tokens. Find the bug; which tests catch
it? (Hint: what does "rank" mean?)

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_leftmost_merge.py --commit 0.3
"""

TARGET = "phase0_tokenizer.tokenizer"
COMMIT = "0.3"
EXERCISE = "encode_chunk"


def encode_chunk(ids, merges):
    ids = list(ids)
    merged = True
    while merged and len(ids) >= 2:
        merged = False
        for i in range(len(ids) - 1):  # merge the first pair we know, scanning left to right
            pair = (ids[i], ids[i + 1])
            if pair in merges:
                ids[i:i + 2] = [merges[pair]]
                merged = True
                break
    return ids
