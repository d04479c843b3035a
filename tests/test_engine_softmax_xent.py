"""softmax_xent, the one-node softmax cross-entropy: equal to the composed -Σ y log_softmax(z), its
gradient equal to central differences, on floats, on lanes and differentiated twice."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import Value, apply, log_softmax, ops, sum_values
from nn import losses


def composed(zs, ys):
    return -sum_values([lp * y for lp, y in zip(log_softmax(zs), ys)])


@settings(max_examples=40, deadline=None)
@given(
    k=st.integers(2, 5),
    lanes=st.one_of(st.none(), st.integers(1, 4)),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1.0, 30.0, 600.0]),
)
def test_softmax_xent_equals_the_composed_loss_and_its_gradient(k, lanes, seed, scale):
    rng = np.random.default_rng(seed)
    shape = () if lanes is None else (lanes,)
    Z = rng.normal(size=(k, *shape)) * scale  # large logits too: both forms must stay finite
    Y = rng.dirichlet(np.ones(k), size=lanes).T if lanes else rng.dirichlet(np.ones(k))
    Y = Y * rng.uniform(0.5, 2.0)  # weights that do not sum to 1 exercise the Σ y term of the gradient
    ys = [float(y) for y in Y] if lanes is None else list(Y)
    zs = [Value(float(z) if lanes is None else z) for z in Z]
    zs2 = [Value(z.data) for z in zs]
    fused = apply(ops.SOFTMAX_XENT, *zs, *ys)
    plain = composed(zs2, ys)
    np.testing.assert_allclose(fused.data, plain.data, rtol=1e-9, atol=1e-9 * scale)
    (fused.sum() if lanes else fused).backward()
    (plain.sum() if lanes else plain).backward()
    for z, z2 in zip(zs, zs2):
        np.testing.assert_allclose(z.grad, z2.grad, rtol=1e-9, atol=1e-12)


def test_softmax_xent_against_central_differences():
    Z = np.array([[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]])
    Y = np.array([[1.0, 0.0], [0.0, 0.25], [0.0, 0.75]])
    zs = [Value(z) for z in Z]
    apply(ops.SOFTMAX_XENT, *zs, *Y).sum().backward()
    h = 1e-6
    for j in range(3):
        for lane in range(2):
            up, down = Z.copy(), Z.copy()
            up[j, lane] += h
            down[j, lane] -= h
            numeric = (ops._softmax_xent(*up, *Y).sum() - ops._softmax_xent(*down, *Y).sum()) / (2 * h)
            assert zs[j].grad[lane] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_softmax_xent_twice_differentiated_equals_the_composed_form():
    def hess_diag(fused):
        zs = [Value(0.4), Value(-1.0), Value(2.5)]
        ys = [0.2, 0.0, 0.8]
        loss = apply(ops.SOFTMAX_XENT, *zs, *ys) if fused else composed(zs, ys)
        loss.backward(create_graph=True)
        g0 = zs[0].grad
        for z in zs:
            z._grad = None
        g0.backward()
        return [g0.data] + [z.grad for z in zs]

    assert hess_diag(True) == pytest.approx(hess_diag(False), rel=1e-10, abs=1e-14)


def test_cross_entropy_is_one_node_and_keeps_its_errors():
    z = [Value(np.array([0.0, 1.0])), Value(np.array([2.0, -1.0]))]
    loss = losses.cross_entropy(z, np.array([1, 0]))
    assert loss.op == "lane_mean" and loss.parents[0].op == "softmax_xent"
    expected = np.mean([np.log(1 + np.exp(2.0)) - 2.0, np.log(np.exp(1.0) + np.exp(-1.0)) - 1.0])
    assert loss.data == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="cross_entropy: label 2 is out of range for 2 outputs"):
        losses.cross_entropy(z, np.array([2, 0]))
