"""Debugging challenge ★★★ (commit 1.5): a research run sweeps rope_theta over {100, 10^4, 10^6}
and finds that it makes no difference at all, to the last digit of the loss. Suspicious. Find the
bug; which test catches it?"""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "gpt_forward"

from phase1_model.positions import rope_cache  # noqa: E402

_reference_init = GPT.__init__  # noqa: F821 (GPT is the copy's class)


def __init__(self, config):
    _reference_init(self, config)
    if config.positions == "rope":
        cos, sin = rope_cache(config.block_size, config.head_dim)
        self.rope_cos.copy_(cos)
        self.rope_sin.copy_(sin)


GPT.__init__ = __init__  # noqa: F821
