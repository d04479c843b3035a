"""Graph behaviour: reuse, deep chains, accumulation, zero_grad, no_grad / enable_grad, detach,
topological order, graph statistics, repr, micrograd compatibility names, comparisons."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import Value, enable_grad, graph_stats, is_grad_enabled, no_grad, topological_order, zero_grad


def test_shared_subexpressions_accumulate():
    a = Value(1.0, label="a")
    b = a + a
    c = b + b
    c.backward()
    assert c.data == 4.0 and a.grad == 4.0 and b.grad == 2.0
    x = Value(3.0)
    y = x * x * x  # x used three times
    y.backward()
    assert x.grad == 27.0  # 3 x**2
    z = Value(-2.0)
    u = z * z
    w = u * z + u  # u shared: z**3 + z**2, derivative 3 z**2 + 2 z
    w.backward()
    assert z.grad == 3 * 4.0 + 2 * -2.0


def test_deep_chain_100k():
    depth = 100_000
    x = Value(1.0, label="x")
    c = 1.000001
    y = x
    for _ in range(depth):
        y = y * c
    y.backward()
    assert math.isclose(y.data, c**depth, rel_tol=1e-9)
    assert math.isclose(x.grad, c**depth, rel_tol=1e-9)  # d/dx of x * c**n
    order = topological_order(y)
    assert len(order) == depth + 1 and order[0] is x and order[-1] is y
    stats = graph_stats(y)
    assert (stats.nodes, stats.edges, stats.depth, stats.ops["*"]) == (depth + 1, depth, depth, depth)


def test_deep_chain_of_unary_ops_with_create_graph():
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y + 0.0  # identity ops: first and second derivative 1 and 0
    y = y * y
    y.backward(create_graph=True)
    first = x.grad
    assert first.data == 1.0
    x.grad = 0.0
    first.backward()
    assert x.grad == 2.0


def test_gradients_accumulate_on_leaves_not_intermediates():
    x = Value(2.0, label="x")
    z = x * x
    w = z * 3.0
    w.backward()
    assert (x.grad, z.grad, w.grad) == (12.0, 3.0, 1.0)
    w.backward()
    assert x.grad == 24.0  # leaves accumulate, as in PyTorch
    assert z.grad == 3.0 and w.grad == 1.0  # intermediates hold the latest pass only
    (x * 5.0).backward()
    assert x.grad == 29.0


def test_backward_with_explicit_grad_and_on_leaf():
    x = Value(np.array([1.0, 2.0]))
    y = x * x
    y.backward(grad=np.array([1.0, 0.5]))
    assert np.array_equal(x.grad, [2.0, 2.0])
    s = Value(3.0)
    s.backward()
    s.backward(grad=2.0)
    assert s.grad == 3.0


def test_zero_grad_clears_the_graph():
    x, w = Value(2.0), Value(-1.0)
    y = (x * w).tanh()
    y.backward()
    assert x.grad != 0.0
    zero_grad(y)
    assert [n.grad for n in topological_order(y)] == [0.0] * 4
    xs = Value(np.array([1.0, 2.0]))
    (xs * 2.0).sum().backward()
    zero_grad(xs)
    assert np.array_equal(xs.grad, [0.0, 0.0])
    x.grad = 0  # micrograd style reset
    assert x.grad == 0.0
    x.grad = 1.5
    (x * 2.0).backward()
    assert x.grad == 3.5


def test_no_grad_and_enable_grad():
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3.0
        with enable_grad():
            assert is_grad_enabled()
            z = x * 4.0
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.data == 6.0 and y.is_leaf and y.parents == () and y._prev == set()
    assert not z.is_leaf and z.parents == (x,)
    y.backward()
    assert x.grad == 0.0  # nothing recorded, nothing reached x
    z.backward()
    assert x.grad == 4.0


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()


def test_detach():
    x = Value(3.0, label="x")
    h = x * x
    d = h.detach()
    assert d is not h and d.is_leaf and d.data == 9.0 and d.op == ""
    (d * x).backward()
    assert x.grad == 9.0  # only through the direct use of x; none through the detached square
    assert d.grad == 3.0
    xs = Value(np.array([1.0, 2.0]), label="xs")
    dx = xs.detach()
    assert dx.data is xs.data and dx.label == "xs"


def test_topological_order_on_known_graph():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d.tanh()
    order = topological_order(e)
    assert len(order) == 5 and len(set(order)) == 5 and order[-1] is e
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]
    assert set(order) == {a, b, c, d, e}
    assert topological_order(a) == [a]


@given(n=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_topological_order_random_dags(n, seed):
    rng = np.random.default_rng(seed)
    nodes = [Value(float(rng.normal()))]
    for _ in range(n):
        i, j = rng.integers(0, len(nodes), size=2)
        nodes.append(nodes[i] * 0.5 + nodes[j])
    order = topological_order(nodes[-1])
    position = {id(v): k for k, v in enumerate(order)}
    assert len(position) == len(order)
    for v in order:
        assert all(position[id(p)] < position[id(v)] for p in v.parents)


def test_graph_stats_on_known_graph():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b  # depth 1
    d = c + a  # depth 2
    e = d.tanh()  # depth 3
    f = e * e + c  # e*e depth 4, + depth 5
    s = graph_stats(f)
    assert s.nodes == 7
    assert s.edges == 2 + 2 + 1 + 2 + 2
    assert s.depth == 5
    assert s.leaves == 2 and s.parameters == 2 and s.lanes is None
    assert dict(s.ops) == {"*": 2, "+": 2, "tanh": 1}
    x = Value(np.zeros(7))
    s = graph_stats((a * x).sum())
    assert (s.nodes, s.edges, s.depth, s.leaves, s.parameters, s.lanes) == (4, 3, 2, 2, 1, 7)
    assert dict(s.ops) == {"*": 1, "lane_sum": 1}


def test_repr_format():
    o = Value(0.8813735870195432).tanh()
    o.label = "o"
    o.backward()
    assert repr(o) == "Value(data=0.7071, grad=1.0, op='tanh', label='o')"
    x = Value(0.8813735870195432, label="x")
    o = x.tanh()
    o.label = "o"
    (o * 0.5).backward()
    assert repr(o) == "Value(data=0.7071, grad=0.5, op='tanh', label='o')"
    assert repr(Value(3)) == "Value(data=3.0, grad=0.0)"
    assert repr(Value(2.5e-7, label="tiny")) == "Value(data=2.5e-07, grad=0.0, label='tiny')"
    lanes = Value(np.array([1.0, 2.5, -3.0, 4.0, 5.0]), label="x")
    text = repr(lanes)
    assert text.startswith("Value(data=[1, 2.5, -3, ...] (5 lanes), grad=[0, 0, 0, ...] (5 lanes)")
    assert text.endswith("label='x')")
    assert "(2 lanes)" in repr(Value([1.0, 2.0]))


def test_micrograd_compat_names():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert isinstance(c._prev, set) and c._prev == {a, b}
    assert c._op == "*" and a._op == "" and a._prev == set()
    assert (a * a)._prev == {a}
    assert (a + 1)._prev == {a}  # constants are not nodes
    assert (a**2)._op == "**" and a.relu()._op == "relu" and (-a)._op == "neg"
    assert c.op_args == (a, b) and (a * 2.0).op_args == (a, 2.0)


def test_comparisons_equality_hash_float():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a and not a > b
    assert a < 1.5 and b >= 2 and a <= np.float64(1.0)
    assert (a == Value(1.0)) is False and a == a and a != Value(1.0)  # identity
    assert len({a, Value(1.0), a}) == 2
    assert {a: 1}[a] == 1 and hash(a) == hash(a)
    lanes = Value(np.array([1.0, 3.0]))
    assert np.array_equal(lanes > 2.0, [False, True])
    assert float(Value(2.5)) == 2.5 and type(float(Value(2))) is float
    assert math.isclose(math.exp(Value(1.0)), math.e)  # float() makes Values usable in math.*


def test_value_construction():
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert type(Value(np.float32(1.5)).data) is float
    v = Value([1, 2, 3])
    assert v.data.dtype == np.float64 and v.lanes == 3 and Value(1.0).lanes is None
    assert Value(np.array(2.0)).data == 2.0  # 0-d array is a number
    assert Value(True).data == 1.0
