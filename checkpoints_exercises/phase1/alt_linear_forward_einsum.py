"""Alternative solution (commit 1.1, linear_forward): the product as an einsum over the last index,
'...i,oi->...o' (output o is the dot product of x with row o of the weight), the check with an
explicit comparison of shapes."""

TARGET = "phase1_model.linear"
COMMIT = "1.1"
EXERCISE = "linear_forward"

import torch  # noqa: E402


def forward(self, x):
    if x.shape[-1] != self.weight.shape[1]:
        raise ValueError(f"expected an input of width {self.weight.shape[1]}, got shape {tuple(x.shape)} "
                         f"(last dimension {x.shape[-1]})")
    y = torch.einsum("...i,oi->...o", x, self.weight)
    if self.bias is not None:
        y = y + self.bias
    return y


Linear.forward = forward  # noqa: F821 (the copy's class)
