"""Fused layers hand whole matrices to each other in the plain backward (the block nodes of
autograd_core/fused.py): parameters, inputs and every member's ``.grad`` must be what one node
per neuron gives, whatever else uses the members (user code, part of a layer, a member twice),
with create_graph, zero_grad and repeated backward; and what the NumPy reference and central
differences give."""

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from autograd_core import Value, apply, dot_rows, ops, topological_order, zero_grad
from autograd_core.fused import FUSABLE, act_rows
from nn import MLP
from nn import reference as ref

NAMES = sorted(FUSABLE)


def _net(rng, sizes, lanes):
    """Weights as plain leaf Values, inputs as laned leaf Values."""
    Ws = [rng.normal(size=(m, n)) for n, m in itertools.pairwise(sizes)]
    bs = [rng.normal(size=m) for m in sizes[1:]]
    X = rng.normal(size=(sizes[0], lanes))
    return Ws, bs, X


def _build(Ws, bs, X, act, fused):
    """Two layers with an activation between, then a linear layer: (params, xs, zs1, as1, zs2)."""
    W = [[[Value(float(w)) for w in row] for row in Wl] for Wl in Ws]
    b = [[Value(float(v)) for v in bl] for bl in bs]
    xs = [Value(x) for x in X]
    op = FUSABLE[act]
    if fused:
        zs1 = dot_rows(W[0], b[0], xs)
        as1 = act_rows(op, zs1)
        assert as1 is not None
        zs2 = dot_rows(W[1], b[1], as1)
        assert len(zs2[0]._group) == 3 and zs2[0]._group[0].source is as1[0]._group[0]  # the hand-off is on
    else:  # one node per neuron and per activation
        zs1 = [apply(ops.DOT, *w, bj, *xs, 1.0) for w, bj in zip(W[0], b[0])]
        as1 = [apply(op, z) for z in zs1]
        zs2 = [apply(ops.DOT, *w, bj, *as1, 1.0) for w, bj in zip(W[1], b[1])]
    params = [p for Wl, bl in zip(W, b) for row in Wl for p in row] + [p for bl in b for p in bl]
    return params, xs, zs1, as1, zs2


def _loss(zs1, as1, zs2, used, extra_a, extra_z, coeffs):
    """The loss: some output rows (maybe one twice), plus hidden members used by 'user code'."""
    terms = [zs2[j] * c for j, c in zip(used, coeffs)]
    terms += [as1[j] * as1[j] for j in extra_a]  # a hidden member used again, outside the next layer
    terms += [zs1[j] * 0.5 for j in extra_z]  # a pre-activation used directly
    return sum(terms[1:], terms[0]).sum()


def _grads(params, xs, zs1, as1, zs2):
    return (
        [p.grad for p in params],
        [x.grad for x in xs],
        [m.grad for m in (*zs1, *as1, *zs2)],
    )


def _assert_same(got, want):
    for g_list, w_list in zip(got, want):
        assert len(g_list) == len(w_list)
        for g, w in zip(g_list, w_list):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


cases = settings(max_examples=30, deadline=None)
shape = {
    "act": st.sampled_from(NAMES),
    "n": st.integers(1, 4),
    "h": st.integers(1, 5),
    "k": st.integers(1, 4),
    "lanes": st.integers(1, 5),
    "used": st.lists(st.integers(0, 3), min_size=1, max_size=4),
    "extra_a": st.lists(st.integers(0, 4), max_size=3),
    "extra_z": st.lists(st.integers(0, 4), max_size=2),
    "seed": st.integers(0, 2**32 - 1),
}


@cases
@given(**shape)
@example(act="relu", n=2, h=3, k=2, lanes=3, used=[1, 1], extra_a=[2], extra_z=[0], seed=3)
def test_hand_off_equals_one_node_per_neuron(act, n, h, k, lanes, used, extra_a, extra_z, seed):
    rng = np.random.default_rng(seed)
    Ws, bs, X = _net(rng, [n, h, k], lanes)
    used, extra_a, extra_z = [j % k for j in used], [j % h for j in extra_a], [j % h for j in extra_z]
    coeffs = rng.normal(size=len(used))
    out = []
    for fused in (True, False):
        built = _build(Ws, bs, X, act, fused)
        loss = _loss(*built[2:], used, extra_a, extra_z, coeffs)
        loss.backward()
        first = _grads(*built)
        loss.backward()  # again: leaves accumulate, intermediate members start afresh
        second = _grads(*built)
        out.append((loss.data, first, second))
    (l_f, first_f, second_f), (l_p, first_p, second_p) = out
    assert l_f == pytest.approx(l_p, rel=1e-12, abs=1e-12)
    _assert_same(first_f, first_p)
    _assert_same(second_f, second_p)


@cases
@given(**shape)
def test_zero_grad_clears_members_and_a_new_pass_is_fresh(act, n, h, k, lanes, used, extra_a, extra_z, seed):
    rng = np.random.default_rng(seed)
    Ws, bs, X = _net(rng, [n, h, k], lanes)
    used, extra_a, extra_z = [j % k for j in used], [j % h for j in extra_a], [j % h for j in extra_z]
    coeffs = rng.normal(size=len(used))
    built = _build(Ws, bs, X, act, True)
    loss = _loss(*built[2:], used, extra_a, extra_z, coeffs)
    loss.backward()
    once = _grads(*built)
    zero_grad(loss)
    for g_list in _grads(*built):
        for g in g_list:
            assert not np.any(g)
    loss.backward()
    _assert_same(_grads(*built), once)
    # a second loss on the same hidden layer that uses only one output row: the members of the
    # first loss's other rows must not bring stale numbers along
    zero_grad(loss)
    other = (built[4][0] * 2.0).sum()
    other.backward()
    plain = _build(Ws, bs, X, act, False)
    (plain[4][0] * 2.0).sum().backward()
    _assert_same(_grads(*built), _grads(*plain))


@settings(max_examples=15, deadline=None)
@given(act=st.sampled_from(NAMES), lanes=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_create_graph_through_a_hand_off_uses_the_table_rules(act, lanes, seed):
    rng = np.random.default_rng(seed)
    Ws, bs, X = _net(rng, [2, 3, 2], lanes)
    res = []
    for fused in (True, False):
        params, _xs, zs1, as1, zs2 = _build(Ws, bs, X, act, fused)
        loss = (zs2[0] * zs2[1]).sum() + (as1[1] * 0.3).sum()
        loss.backward(create_graph=True)
        g = params[0].grad
        member = [m.grad.data for m in (*zs1, *as1)]
        for p in params:
            p._grad = None
        g.backward()  # a plain pass over a graph recorded from the members: hand-offs again
        res.append((g.data, member, [p.grad for p in params], [m.grad for m in (*zs1, *as1, *zs2)]))
    (g_f, mem_f, p_f, m_f), (g_p, mem_p, p_p, m_p) = res
    assert g_f == pytest.approx(g_p, rel=1e-10, abs=1e-12)
    _assert_same((mem_f, p_f, m_f), (mem_p, p_p, m_p))


def test_a_plain_pass_after_create_graph_drops_the_members_old_value_gradients():
    rng = np.random.default_rng(0)
    Ws, bs, X = _net(rng, [2, 3, 2], 3)
    built = _build(Ws, bs, X, "tanh", True)
    loss = (built[4][0] * built[4][1]).sum()
    loss.backward(create_graph=True)  # every member holds a Value gradient now
    assert isinstance(built[3][0]._grad, Value)
    loss.backward()  # the hidden members are not walked: the hand-off must drop those Values
    plain = _build(Ws, bs, X, "tanh", False)
    (plain[4][0] * plain[4][1]).sum().backward()
    for m, m2 in zip((*built[2], *built[3]), (*plain[2], *plain[3])):
        assert not isinstance(m.grad, Value)
        np.testing.assert_allclose(m.grad, m2.grad, rtol=1e-10, atol=1e-12)


def test_hidden_members_are_not_walked_or_swept():
    model = MLP(4, [8, 8, 3], seed=0)
    out = model(np.random.default_rng(1).normal(size=(5, 4)))
    loss = sum(out[1:], out[0]).sum()
    from autograd_core.graph import _walk

    order = _walk(loss, [])
    hidden = [v for v in order if v._group is not None and v._group[1] >= 0]
    assert len(hidden) == 3  # only the output layer's members, which the loss uses one by one
    assert len(order) < 12  # the output members, four block nodes, the sums
    assert len(topological_order(loss)) > 40  # every member still is a node of the graph (pictures, stats)


@settings(max_examples=15, deadline=None)
@given(
    act=st.sampled_from(["relu", "tanh", "sigmoid"]),
    sizes=st.lists(st.integers(1, 5), min_size=3, max_size=4),
    lanes=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_an_mlp_with_hand_offs_matches_the_numpy_reference(act, sizes, lanes, seed):
    rng = np.random.default_rng(seed)
    model = MLP(sizes[0], sizes[1:], activation=act, seed=seed % 1000)
    X = rng.normal(size=(lanes, sizes[0]))
    Y = rng.normal(size=(lanes, sizes[-1]))
    out = model(X)
    out = out if isinstance(out, list) else [out]
    loss = sum(((o - Y[:, j]) ** 2).sum() for j, o in enumerate(out)) * (1.0 / (lanes * sizes[-1]))
    loss.backward()
    Ws, bs = model.weights()
    names = [act] * (len(sizes) - 2) + ["linear"]
    value, dWs, dbs = ref.gradients_from_weights(Ws, bs, names, X, Y if sizes[-1] > 1 else Y[:, 0], loss="mse")
    assert loss.data == pytest.approx(value, rel=1e-10)
    for layer, dW, db in zip(model.layers, dWs, dbs):
        got = np.array([[p.grad for p in n.w] + [n.b.grad] for n in layer.neurons])
        np.testing.assert_allclose(got, np.column_stack([dW, db]), rtol=1e-9, atol=1e-12)


def test_hand_off_input_gradient_matches_central_differences():
    rng = np.random.default_rng(5)
    Ws, bs, X = _net(rng, [3, 4, 2], 4)

    def loss_of(X):
        _, xs, zs1, as1, zs2 = _build(Ws, bs, X, "tanh", True)
        return _loss(zs1, as1, zs2, [0, 1], [2], [1], [0.7, -1.3]), xs

    loss, xs = loss_of(X)
    loss.backward()
    eps = 1e-6
    for i in range(X.shape[0]):
        for lane in range(X.shape[1]):
            up, down = X.copy(), X.copy()
            up[i, lane] += eps
            down[i, lane] -= eps
            numeric = (loss_of(up)[0].data - loss_of(down)[0].data) / (2 * eps)
            assert xs[i].grad[lane] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_the_weights_of_the_forward_pass_get_the_gradient_even_if_the_lists_change_after():
    w, other = Value(2.0), Value(5.0)
    rows = [[w, Value(1.0)]]
    (z,) = dot_rows(rows, [Value(0.0)], [np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    rows[0][0] = other  # the caller reuses its list (as gradcheck-style tests put weights back)
    z.sum().backward()
    assert (w.grad, other.grad) == (3.0, 0.0)
