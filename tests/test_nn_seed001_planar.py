"""Seed 001: an n-layer sigmoid network with binary cross-entropy, hidden_layer_units=[4],
trained by full-batch gradient descent (learning rate 1.2) on a planar "flower" data set.

The seed initialises W with N(0, 1) * 0.01 and b with zeros, uses sigmoid in every layer and
dZ = A - Y at the output. Here the engine trains the same network on lanes, its first gradient
is checked against the NumPy reference (the seed's matrix formulas), and it must separate the
petals as the seed's model does.
"""

import itertools

import numpy as np

from nn import MLP, losses, reference
from nn.optim import SGD


def planar_flower(m: int = 400, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved classes on the petals of r = 4 sin(4t), with noise on t and r."""
    rng = np.random.default_rng(seed)
    n = m // 2
    X = np.zeros((m, 2))
    y = np.zeros(m)
    for label in range(2):
        rows = slice(n * label, n * (label + 1))
        t = np.linspace(label * 3.12, (label + 1) * 3.12, n) + rng.normal(size=n) * 0.2
        r = 4 * np.sin(4 * t) + rng.normal(size=n) * 0.2
        X[rows] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[rows] = label
    return X, y


def seed_initialisation(hidden_layer_units: list[int], seed: int = 2) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    sizes = [2, *hidden_layer_units, 1]
    Ws = [rng.normal(size=(n, n_prev)) * 0.01 for n_prev, n in itertools.pairwise(sizes)]
    bs = [np.zeros(n) for n in sizes[1:]]
    return Ws, bs


def test_seed001_sigmoid_bce_network_learns_the_planar_flower():
    X, y = planar_flower()
    Ws, bs = seed_initialisation([4])
    model = MLP.from_weights(Ws, bs, ["sigmoid", "sigmoid"])
    assert [layer.activation for layer in model.layers] == ["sigmoid", "sigmoid"]

    # the first gradient equals the seed's formulas (dZ = A - Y at the output, / m)
    loss = losses.binary_cross_entropy(model(X), y)
    loss.backward()
    want_loss, dWs, dbs = reference.gradients(model, X, y, loss="binary_cross_entropy")
    assert abs(loss.data - want_loss) <= 1e-12 * abs(want_loss)
    for layer, dW, db in zip(model.layers, dWs, dbs):
        got_W = np.array([[w.grad for w in neuron.w] for neuron in layer.neurons])
        got_b = np.array([neuron.b.grad for neuron in layer.neurons])
        np.testing.assert_allclose(got_W, dW, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(got_b, db, rtol=1e-9, atol=1e-15)

    opt = SGD(model.parameters(), lr=1.2)
    checkpoints = []
    for i in range(3000):
        loss = losses.binary_cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i % 1000 == 0:
            checkpoints.append(loss.data)
    checkpoints.append(loss.data)
    assert checkpoints == sorted(checkpoints, reverse=True)  # the cost falls, as the seed prints
    accuracy = np.mean((model(X).data > 0.5) == y)
    assert accuracy >= 0.88  # a 4-unit sigmoid network separates most of the petals
