"""``python -m autograd_core``: a neuron, back-propagated, as a gradient table.

The seeds' picture x, w, b -> z -> a, with the numbers filled in by the engine and checked
against central finite differences.
"""

from __future__ import annotations

from . import Value, numerical_grad, topological_order


def neuron(x: Value, w: Value, b: Value) -> Value:
    """a = tanh(x*w + b): one neuron with one input."""
    z = x * w + b
    z.label = "z"
    a = z.tanh()
    a.label = "a"
    return a


def main() -> None:
    """Build the neuron, run backward, print every node's data and gradient."""
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.8813735870195432, label="b")
    a = neuron(x, w, b)
    a.backward()
    numeric = numerical_grad(lambda x, w, b: neuron(x, w, b), 2.0, -3.0, b.data)
    print("a = tanh(x*w + b), back-propagated:\n")
    print(f"{'node':<6}{'op':<6}{'data':>12}{'grad':>12}")
    for node in topological_order(a):
        print(f"{node.label or '':<6}{node.op:<6}{node.data:>12.6f}{node.grad:>12.6f}")
    print(
        "\ncentral finite differences: "
        + ", ".join(f"d a/d {n} = {g:.6f}" for n, g in zip("xwb", numeric, strict=True))
    )


if __name__ == "__main__":
    main()
