"""dot_rows: a layer's dot nodes as one matrix product must equal plain dot nodes exactly
(up to summation order), whatever subset of rows the loss uses and however they are combined."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from autograd_core import Value, dot, dot_rows, hessian, no_grad, topological_order


def layer(rng: np.random.Generator, rows: int, n: int) -> tuple[list[list[Value]], list[Value]]:
    W = [[Value(float(w)) for w in row] for row in rng.normal(size=(rows, n))]
    b = [Value(float(v)) for v in rng.normal(size=rows)]
    return W, b


def clone(W: list[list[Value]], b: list[Value]) -> tuple[list[list[Value]], list[Value]]:
    return [[Value(w.data) for w in row] for row in W], [Value(v.data) for v in b]


@given(
    rows=st.integers(1, 6),
    n=st.integers(1, 5),
    lanes=st.integers(1, 7),
    used=st.lists(st.integers(0, 5), min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    laned_inputs_are_values=st.booleans(),
)
# every row used, first reached in reverse order: G's rows and W's rows must still line up
@example(rows=2, n=1, lanes=2, used=[1, 0], seed=0, laned_inputs_are_values=True)
@example(rows=3, n=2, lanes=3, used=[2, 0, 1, 2], seed=1, laned_inputs_are_values=True)
def test_dot_rows_equals_plain_dots(rows, n, lanes, used, seed, laned_inputs_are_values):
    rng = np.random.default_rng(seed)
    W, b = layer(rng, rows, n)
    W2, b2 = clone(W, b)
    X = rng.normal(size=(n, lanes))
    xs = [Value(x) for x in X] if laned_inputs_are_values else list(X)
    xs2 = [Value(x.data) for x in xs] if laned_inputs_are_values else list(X)
    used = [j % rows for j in used]  # some rows unused, some used twice, in any order
    coeffs = rng.normal(size=len(used))

    zs = dot_rows(W, b, xs)
    assert all(z._group is not None for z in zs)
    loss = sum(((zs[j] * c).tanh() for j, c in zip(used, coeffs)), Value(0.0)).sum()
    loss.backward()

    plain = [dot(w, xs2) + bj for w, bj in zip(W2, b2)]
    loss2 = sum(((plain[j] * c).tanh() for j, c in zip(used, coeffs)), Value(0.0)).sum()
    loss2.backward()

    for z, p in zip(zs, plain):
        np.testing.assert_allclose(z.data, p.data, rtol=1e-12, atol=1e-12)
    assert loss.data == pytest.approx(loss2.data, rel=1e-12, abs=1e-12)
    for row, row2 in zip([*W, b], [*W2, b2]):
        for w, w2 in zip(row, row2):
            assert w.grad == pytest.approx(w2.grad, rel=1e-10, abs=1e-12)
    if laned_inputs_are_values:
        for x, x2 in zip(xs, xs2):
            np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-10, atol=1e-12)


def test_dot_rows_twice_backward_accumulates_and_stays_correct():
    rng = np.random.default_rng(0)
    W, b = layer(rng, 3, 2)
    X = list(rng.normal(size=(2, 4)))
    zs = dot_rows(W, b, X)
    loss = (zs[0] * zs[2]).sum()
    loss.backward()
    first = [w.grad for row in W for w in row]
    loss.backward()  # leaves accumulate: exactly twice the first gradient
    assert [w.grad for row in W for w in row] == pytest.approx([2 * g for g in first])


def test_dot_rows_falls_back_to_plain_dots_for_scalars_and_no_grad():
    W = [[Value(1.0), Value(2.0)]]
    b = [Value(0.5)]
    (z,) = dot_rows(W, b, [3.0, 4.0])
    assert z._group is None and z.data == 11.5 and z.op == "dot"
    with no_grad():
        (z,) = dot_rows(W, b, [np.ones(3), np.ones(3)])
    assert z.is_leaf and list(z.data) == [3.5, 3.5, 3.5]


def test_dot_rows_nodes_draw_like_plain_dot_nodes():
    W = [[Value(1.0, label="w0"), Value(2.0, label="w1")]]
    b = [Value(0.5, label="b")]
    x = [Value(np.ones(2), label="x0"), np.ones(2)]
    (z,) = dot_rows(W, b, x)
    assert z.op == "dot"
    assert [p.label for p in z.parents] == ["w0", "w1", "b", "x0"]
    assert [v.label for v in topological_order(z) if v.is_leaf] == ["w0", "w1", "b", "x0"]


def test_create_graph_uses_the_table_rule():
    # d²/dw² of (w·x)² summed over lanes is 2 Σ x²: second order goes through the plain dot rule
    x = np.array([1.0, 2.0, 3.0])
    h = hessian(lambda w: (dot_rows([[w]], [Value(0.0)], [x])[0] ** 2).sum())(0.7)
    assert h == pytest.approx(2 * float(x @ x))


def test_dot_rows_shape_errors():
    from autograd_core import ShapeError

    with pytest.raises(ShapeError, match="dot_rows"):
        dot_rows([[Value(1.0)]], [Value(0.0), Value(1.0)], [np.ones(2)])
    with pytest.raises(ShapeError, match="lanes do not match"):
        dot_rows([[Value(1.0), Value(1.0)]], [Value(0.0)], [np.ones(2), np.ones(3)])
