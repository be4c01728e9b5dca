"""Debugging challenge ★★★ (commit 1.5): a research run sweeps rope_theta over {100, 10^4, 10^6}
and finds that it makes no difference at all, to the last digit of the loss. Suspicious. Find the
bug; which test catches it?"""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "gpt_forward"

import torch  # noqa: E402

from phase1_model.gpt import GPT as _Reference  # noqa: E402
from phase1_model.positions import rope_tables  # noqa: E402


class GPT(_Reference):
    def _embed(self, idx, pos0=0):
        T = idx.size(1)
        if pos0 + T > self.config.block_size:
            raise ValueError(f"sequence of {pos0 + T} positions > block_size={self.config.block_size}")
        positions = torch.arange(pos0, pos0 + T, device=idx.device)
        x = self.transformer.wte(idx)
        if self.config.embed_norm:
            x = self.embed_norm(x)
        if self.config.positions == "learned":
            x = x + self.transformer.wpe(positions)
        elif self.config.positions == "sinusoidal":
            x = x + self.pos_table[pos0:pos0 + T].to(x.dtype)
        if self.config.positions != "rope":
            return self.drop(x), None
        return self.drop(x), rope_tables(positions, self.config.head_dim)  # "the base everyone uses"
