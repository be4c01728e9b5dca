"""Debugging challenge ★★★ (commit 1.5): a research run sweeps rope_theta over {100, 10^4, 10^6}
and finds that it makes no difference at all, to the last digit of the loss. Suspicious. Find the
bug; which test catches it?"""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "gpt_forward"

_reference_init = GPT.__init__  # noqa: F821 (GPT is the copy's class)


def __init__(self, config):
    _reference_init(self, config)
    for block in self.transformer.h:
        block.attn.rope_theta = 10000.0  # "the base everyone uses"


GPT.__init__ = __init__  # noqa: F821
