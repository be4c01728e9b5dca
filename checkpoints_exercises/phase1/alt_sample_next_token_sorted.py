"""Alternative solution (commit 1.5, sample_next_token): filter in probability space on the sorted
distribution, then draw an index into the sorted order and map it back.

Top-k keeps the first k sorted entries; top-p keeps sorted entry j while the mass of the entries
before it is < p (so the most likely token always stays). The kept probabilities are renormalised
by multinomial itself (it accepts unnormalised weights). The reference masks logits with -inf in
the original order instead; both draw from the same distribution, with the generator."""

TARGET = "phase1_model.generate"
COMMIT = "1.5"
EXERCISE = "sample_next_token"

import torch  # noqa: E402


def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    sorted_probs, order = probs.sort(dim=-1, descending=True)
    keep = torch.ones_like(sorted_probs, dtype=torch.bool)
    if top_k is not None:
        keep[:, top_k:] = False
    if top_p is not None and top_p < 1.0:
        keep &= (sorted_probs.cumsum(-1) - sorted_probs) < top_p
    choice = torch.multinomial(sorted_probs * keep, 1, generator=generator)
    return order.gather(-1, choice)
