"""Debugging challenge ★★★ (commit 1.5): the nanochat lineage's logits stay within +-15 as promised,
and its loss at init is exactly ln(vocab) (the head starts at zero), but once training moves the head
the model is hopelessly overconfident: a logit of 0.2 already counts as 3. Find the bug; which test
catches it?"""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "gpt_head"

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def head(self, x, targets=None, ignore_index=-1):
    logits = self.lm_head(self.transformer.ln_f(x)).float()
    if self.config.logit_softcap:
        logits = self.config.logit_softcap * torch.tanh(logits)
    loss = None
    if targets is not None:
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=ignore_index)
    return logits, loss


GPT.head = head  # noqa: F821 (GPT is the copy's class)
