"""Smoke test: the README's neuron example."""

import math

from autograd_core import Value


def test_neuron_example_matches_hand_derivation():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    a = (x * w + b).tanh()
    a.backward()
    local = 1 - math.tanh(0.88) ** 2
    assert a.data == math.tanh(0.88)
    assert math.isclose(x.grad, -3.0 * local) and math.isclose(w.grad, 2.0 * local) and math.isclose(b.grad, local)
