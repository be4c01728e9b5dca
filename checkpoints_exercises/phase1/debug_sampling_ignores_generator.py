"""Debugging challenge ★★★ (commit 1.5): `model.generate(prompt, 50, seed=42)` is supposed to give
the same text every time; it does in a fresh Python session, but not twice in a row, nor after
anything else drew a random number. Find the bug; which test catches it?"""

TARGET = "phase1_model.generate"
COMMIT = "1.5"
EXERCISE = "sample_next_token"

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def sample_next_token(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits.float() / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = F.softmax(sorted_logits, dim=-1)
        mass_before = probs.cumsum(dim=-1) - probs
        sorted_logits = sorted_logits.masked_fill(mass_before >= top_p, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
