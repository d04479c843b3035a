"""The backward sweep's spelled-out paths (add, mul, relu, one-sample dot in graph._run) give
exactly what the derivative table's rules give: the same bits, signed zeros included.

The reference is a sweep written with ``local_shares`` (the table's rules, nothing inlined),
accumulating each node's shares in argument order, as the engine does.
"""

import math
import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import ParamBuffer, Parameter, Value, ops, topological_order
from autograd_core.graph import local_shares
from autograd_core.value import _operand, apply

_NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5]),
    st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False),
)
# (op, arity): the spelled-out ops and some that go through the table, mixed in one graph
_OPS = [(ops.ADD, 2), (ops.MUL, 2), (ops.RELU, 1), (ops.DOT, 4), (ops.DOT, 6), (ops.SUB, 2), (ops.TANH, 1)]


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _reference(root: Value, seed: float) -> dict[Value, float]:
    """Every node's gradient by the table's rules (via local_shares), in reverse topological order."""
    grads: dict[Value, float] = {root: seed}
    for node in reversed(topological_order(root)):
        g = grads.get(node)
        if g is None or not node._args:
            continue
        for a, share in local_shares(node, g):
            grads[a] = share if a not in grads else grads[a] + share
    return grads


@st.composite
def graphs(draw):
    """A random scalar graph over plain Values, Parameters and constants, with shared inputs."""
    leaves = [Value(draw(_NUMBERS), label=f"v{i}") for i in range(2)]
    leaves += ParamBuffer([draw(_NUMBERS) for _ in range(2)], labels=["p0", "p1"]).params
    pool: list[Value] = list(leaves)
    for _ in range(draw(st.integers(1, 12))):
        op, arity = draw(st.sampled_from(_OPS))
        args = []
        for _ in range(arity):
            if arity > 1 and draw(st.integers(0, 3)) == 0:
                args.append(draw(_NUMBERS))  # a constant operand, on either side
            else:
                args.append(draw(st.sampled_from(pool)))  # reuse: the same Value twice is allowed
        if not any(isinstance(a, Value) for a in args):
            args[0] = pool[-1]
        pool.append(apply(op, *args))
    root = apply(ops.SUM, *pool[len(leaves) :])  # every node is on a path to the root
    return leaves, root, draw(st.sampled_from([1.0, -1.0, 0.75, -2.5]))


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_backward_matches_the_table_bit_for_bit(case):
    leaves, root, seed = case
    expected = _reference(root, seed)
    root.backward(seed)
    for leaf in leaves:
        want = expected.get(leaf)
        if type(leaf) is Parameter:  # folded into a zeroed buffer: 0.0 + g
            assert _bits(leaf.grad) == _bits(0.0 + (0.0 if want is None else want)), leaf.label
        else:
            got = leaf._grad
            assert (got is None) == (want is None), leaf.label
            if got is not None:
                assert _bits(got) == _bits(want) or (math.isnan(got) and math.isnan(want)), (leaf.label, got, want)


def test_relu_of_a_negative_input_passes_a_signed_zero():
    x = Value(-1.0)
    y = x.relu() * 1.0
    y.backward(-1.0)
    assert _bits(x.grad) == _bits(-0.0)  # g * 0.0 with g < 0, as the table's rule computes it


_OPERANDS = st.one_of(
    _NUMBERS,
    st.integers(-3, 3),
    _NUMBERS.map(Value),
    st.lists(_NUMBERS, min_size=2, max_size=2).map(np.array),
    st.lists(_NUMBERS, min_size=2, max_size=2).map(lambda xs: Value(np.array(xs))),
    st.lists(_NUMBERS, min_size=3, max_size=3).map(lambda xs: Value(np.array(xs))),
)
_METHODS = {
    "+": ("__add__", ops.ADD),
    "-": ("__sub__", ops.SUB),
    "*": ("__mul__", ops.MUL),
    "/": ("__truediv__", ops.DIV),
}


def _outcome(make):
    try:
        with np.errstate(all="ignore"):
            node = make()
    except Exception as err:  # the same error type and text from both spellings
        return type(err), str(err)
    args = [id(a) if isinstance(a, Value) else _bits_of(a) for a in node._args]
    return node.op, args, _bits_of(node.data)


def _bits_of(d):
    return np.asarray(d, dtype=np.float64).tobytes()


_ME = _NUMBERS.map(Value) | st.lists(_NUMBERS, min_size=2, max_size=2).map(lambda xs: Value(np.array(xs)))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(_METHODS)), _ME, _OPERANDS)
def test_operators_build_what_apply_builds(symbol, me, other):
    """``me + other`` (also -, *, /) goes through value._binary: the node, value and errors of
    ``apply(op, me, checked other)``, the generic path."""
    method, op = _METHODS[symbol]
    fast = _outcome(lambda: getattr(me, method)(other))
    slow = _outcome(lambda: apply(op, me, _operand(other, symbol, me)))
    assert fast == slow
