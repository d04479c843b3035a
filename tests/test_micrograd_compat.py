"""micrograd code runs after changing only its imports, and computes the same numbers.

The training loop below is micrograd's demo notebook, verbatim but for the imports and the data
source. With micrograd installed (it is in the dev extra) the same loop runs on micrograd's own
engine from the same weights, and every loss and gradient must agree.
"""

import numpy as np
import pytest

from autograd_core import Value
from nn import MLP, make_moons


def moons() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n_samples=100, noise=0.1, seed=1)
    return X, y * 2 - 1  # micrograd's demo uses labels -1 / +1


def demo_loss(model, X, y, value_type):
    """micrograd's demo `loss()`, written against its API only."""
    inputs = [list(map(value_type, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def train_steps(model, X, y, value_type, steps):
    history = []
    for k in range(steps):
        total_loss, acc = demo_loss(model, X, y, value_type)
        model.zero_grad()
        total_loss.backward()
        history.append((total_loss.data, [p.grad for p in model.parameters()]))
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    return history, acc


def trace(root):
    """micrograd's graph walk from its draw_dot notebook."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def test_micrograd_demo_loop_trains_unchanged():
    X, y = moons()
    model = MLP(2, [16, 16, 1], init="uniform", seed=0)
    history, acc = train_steps(model, X, y, Value, steps=30)
    assert history[-1][0] < history[0][0] / 2
    assert acc >= 0.85


def test_micrograd_graph_walk_runs_unchanged():
    x, w, b = Value(2.0), Value(-3.0), Value(6.88)
    n = x * w + b
    o = n.tanh()
    nodes, edges = trace(o)
    assert nodes == {x, w, b, n, o, n.parents[0]}
    assert len(edges) == 5
    assert {v._op for v in nodes} == {"", "*", "+", "tanh"}


def test_same_numbers_as_micrograd():
    micrograd = pytest.importorskip("micrograd.nn")  # in the dev extra; skipped only outside it
    from micrograd.engine import Value as MicroValue

    X, y = moons()
    ours = MLP(2, [16, 16, 1], init="uniform", seed=3)
    theirs = micrograd.MLP(2, [16, 16, 1])
    assert len(theirs.parameters()) == len(ours.parameters())
    for p, q in zip(ours.parameters(), theirs.parameters()):  # same order: copy weights across
        q.data = p.data
    ours_history, _ = train_steps(ours, X, y, Value, steps=2)
    theirs_history, _ = train_steps(theirs, X, y, MicroValue, steps=2)
    for (loss, grads), (their_loss, their_grads) in zip(ours_history, theirs_history):
        assert loss == pytest.approx(their_loss, rel=1e-12)
        np.testing.assert_allclose(grads, their_grads, rtol=1e-9, atol=1e-12)
