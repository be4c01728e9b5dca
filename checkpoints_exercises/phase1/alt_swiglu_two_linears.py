"""Alternative solution (commit 1.3, mlp): for SwiGLU, two matmuls with the halves of c_fc's weight
instead of one matmul then chunk. Same maths (W and V of the paper are the first and second halves of
the rows), same dropout on the output; the reference's single fused matmul is faster. The other two
kinds through a lookup table of activations instead of an if-chain."""

TARGET = "phase1_model.mlp"
COMMIT = "1.3"
EXERCISE = "mlp"


def forward(self, x):
    if self.kind == "swiglu":
        hidden = self.c_proj.weight.size(1)
        w_gate, w_up = self.c_fc.weight[:hidden], self.c_fc.weight[hidden:]
        b = self.c_fc.bias
        gate = x @ w_gate.T + (0 if b is None else b[:hidden])
        up = x @ w_up.T + (0 if b is None else b[hidden:])
        h = self.silu(gate) * up
    else:
        activation = {"gelu": lambda z: self.gelu(z, approximate="tanh"),
                      "relu2": ReLUSquared.apply}[self.kind]  # noqa: F821 (the copy's class)
        h = activation(self.c_fc(x))
    return self.dropout(self.c_proj(h))


MLP.forward = forward  # noqa: F821 (the copy's class)
