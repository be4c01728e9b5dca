# Learner stub GENERATED from phase1_model/linear.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""The Linear layer from scratch: y = x W^T + b, and where its starting weights come from.

Every matrix of a GPT (the q/k/v projection, the MLP, the output head) is a
Linear layer. Its parameters are laid out as torch lays out `nn.Linear`'s:

    weight  (out_features, in_features)   row o holds the weights of output o
    bias    (out_features,) or None

so `y = x @ weight.T + bias` works on any leading dimensions (B, T, in) -> (B, T, out),
and our state dict has exactly nn.Linear's keys: checkpoints, HF weight copies
(bench/bench_model.py) and the comparator read either layer the same way.

The init is torch's default (`nn.Linear.reset_parameters`): weight and bias drawn
from U(-1/sqrt(in), 1/sqrt(in)). A uniform on [-a, a] has variance a^2 / 3, so each
weight has variance 1 / (3 in) and an output (a sum of `in` products with
unit-variance inputs) has variance about 1/3, whatever the width: the scale stays
put as layers get wider (LeCun et al. 1998, "Efficient BackProp", section 4.6).
The GPT does not keep it: `GPT.init_weights` redraws every Linear with its
lineage's rule (ADR 009). The layer's own init still matters for anything built
from it outside a GPT, and it is the baseline those rules improve on.

The GPT runs `nn.Linear` (torch's fused addmm) unless `GPTConfig.primitives` is
"manual"; then it builds this class instead (see config.py).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn


class Linear(nn.Module):
    """nn.Linear from scratch: weight (out_features, in_features), bias (out_features,) or None."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        """Create the parameters and initialise them.

        - self.in_features, self.out_features: the two sizes (ints).
        - self.weight: an nn.Parameter of shape (out_features, in_features), on `device` with `dtype`
          (None: torch's defaults; a model built under `with torch.device("meta")` must stay on meta).
        - self.bias: an nn.Parameter of shape (out_features,) when bias=True; otherwise None AND no
          "bias" entry in state_dict() (nn.Linear's state-dict keys, so checkpoints load either way).
        - Init (torch's default for nn.Linear): every entry of weight and bias independently uniform on
          [-1/sqrt(in_features), 1/sqrt(in_features)]; with in_features == 0, both are empty anyway.
          Draw from torch's global generator, so torch.manual_seed makes it reproducible.
        Call super().__init__() first (done below): it creates the registries parameters go into."""
        super().__init__()
        # >>> exercise 1.1 linear
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.1:linear
        raise NotImplementedError("exercise 1.1 linear")
        # <<< exercise 1.1 linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., in_features) -> (..., out_features): x @ weight^T (+ bias), any number of leading
        dimensions, differentiable in x, weight and bias. Equal to torch.nn.functional.linear, computed
        without calling it or nn.Linear (the manual path must run the course's own code; tests make both raise).
        A last dimension other than in_features raises ValueError naming both sizes."""
        # >>> exercise 1.1 linear_forward
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.1:linear_forward
        raise NotImplementedError("exercise 1.1 linear_forward")
        # <<< exercise 1.1 linear_forward

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# The classes that play the role of a Linear layer: the GPT builds one or the other (config.primitives).
LINEAR_TYPES = (nn.Linear, Linear)
