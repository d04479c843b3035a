"""Hypothesis strategies: random expression DAGs, networks in the tutorials' shapes, batches.

Example:
    >>> from hypothesis import given, settings
    >>> from autograd_core import Value
    >>> @settings(max_examples=5)
    ... @given(expressions(n_inputs=2, max_ops=4))
    ... def test_lanes_match_floats(e):
    ...     out = e(*[Value(a) for a in e.lanes])
    ...     assert all(abs(out.data[k] - e(*p)) < 1e-9 for k, p in enumerate(e.points))
    >>> test_lanes_match_floats()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .. import ops
from ..define import UserOp
from ..errors import AutogradError, excerpt
from ..value import Value, apply
from .network import ACTIVATIONS, OUTPUT_FOR_LOSS, Network, SetupError, loss_name

ndarray = np.ndarray
BOUND = 1e4  # intermediate values stay below this at every point: no overflow further on
MARGIN = 0.1  # log, sqrt, / and ** keep this far from their singular point
KINK = 1e-3  # relu, abs, max, ... keep this far from their kink (finite differences stay exact)

# name -> (number of operands, the function on raw data or Values, domain check on the raw operands)
_Entry = tuple[int, Callable[..., Any], Callable[..., bool]]


def _run(op: ops.Op, *extra: Any) -> Callable[..., Any]:
    def call(*xs: Any) -> Any:
        args = (*xs, *extra)
        if any(type(a) is Value for a in args):
            return apply(op, *args)
        return op.forward(*args)

    return call


def _always(*xs: Any) -> bool:
    return True


def _far(lo: float) -> Callable[..., bool]:
    return lambda x, *rest: bool(np.all(x > lo))


OPS: dict[str, _Entry] = {
    "+": (2, _run(ops.ADD), _always),
    "-": (2, _run(ops.SUB), _always),
    "*": (2, _run(ops.MUL), _always),
    "/": (2, _run(ops.DIV), lambda a, b: bool(np.all(np.abs(b) > MARGIN))),
    "**": (2, _run(ops.POW), lambda a, b: bool(np.all(a > MARGIN) and np.all(np.abs(b) < 4))),
    "**2": (1, _run(ops.POW, 2.0), _always),
    "neg": (1, _run(ops.NEG), _always),
    "exp": (1, _run(ops.EXP), lambda x: bool(np.all(x < 9))),
    "log": (1, _run(ops.LOG), _far(MARGIN)),
    "sqrt": (1, _run(ops.SQRT), _far(MARGIN)),
    "tanh": (1, _run(ops.TANH), _always),
    "sigmoid": (1, _run(ops.SIGMOID), _always),
    "softplus": (1, _run(ops.SOFTPLUS), _always),
    "relu": (1, _run(ops.RELU), lambda x: bool(np.all(np.abs(x) > KINK))),
    "leaky_relu": (1, _run(ops.LEAKY_RELU, 0.2), lambda x: bool(np.all(np.abs(x) > KINK))),
    "abs": (1, _run(ops.ABS), lambda x: bool(np.all(np.abs(x) > KINK))),
    "sin": (1, _run(ops.SIN), _always),
    "cos": (1, _run(ops.COS), _always),
    "max": (2, _run(ops.MAXIMUM), lambda a, b: bool(np.all(np.abs(a - b) > KINK))),
    "min": (2, _run(ops.MINIMUM), lambda a, b: bool(np.all(np.abs(a - b) > KINK))),
    "sum": (3, _run(ops.SUM), _always),
    "mean": (3, _run(ops.MEAN), _always),
    "dot": (4, _run(ops.DOT), _always),
    "sum_squares": (2, _run(ops.SUM_SQUARES), _always),
    "logsumexp": (3, _run(ops.LOGSUMEXP), _always),
}
DEFAULT_OPS = tuple(OPS)


class Expression:
    """A random expression DAG: ``steps`` over a pool [x0, x1, ..., v0, v1, ...], the last one the output.

    Call it on floats, on lanes (1-D arrays) or on Values; ``points`` are the drawn inputs where
    every op is inside its domain, ``point`` the first, ``lanes`` all of them as one array per
    input (the first ``scalar_inputs`` inputs take one float for every lane).

    Example:
        >>> e = Expression(2, [("*", (0, 1)), ("tanh", (2,))], [(0.5, 2.0)])
        >>> e(*e.point), str(e)
        (0.7615941559557649, 'v0 = x0 * x1; v1 = tanh(v0)')
    """

    def __init__(
        self,
        n_inputs: int,
        steps: Sequence[tuple[Any, tuple[int, ...]]],
        points: Sequence[tuple[float, ...]],
        scalar_inputs: int = 0,
    ) -> None:
        self.n_inputs = n_inputs
        self.steps = [(op, tuple(idx)) for op, idx in steps]
        self.points = [tuple(float(x) for x in p) for p in points]
        self.scalar_inputs = scalar_inputs

    @property
    def point(self) -> tuple[float, ...]:
        """The first drawn input point, as floats."""
        return self.points[0]

    @property
    def lanes(self) -> tuple[Any, ...]:
        """Every point at once: one array of lanes per input (a float for the scalar inputs)."""
        cols = np.array(self.points, dtype=np.float64).T
        return tuple(float(c[0]) if i < self.scalar_inputs else c.copy() for i, c in enumerate(cols))

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.n_inputs:
            raise SetupError(f"this expression takes {self.n_inputs} inputs, got {len(xs)}")
        pool = list(xs)
        for op, idx in self.steps:
            pool.append(_function(op)(*[pool[i] for i in idx]))
        return pool[-1]

    def __str__(self) -> str:
        def name(i: int) -> str:
            return f"x{i}" if i < self.n_inputs else f"v{i - self.n_inputs}"

        parts = []
        for k, (op, idx) in enumerate(self.steps):
            label = op.name if isinstance(op, UserOp) else op
            args = [name(i) for i in idx]
            if label in ("+", "-", "*", "/", "**"):
                text = f" {label} ".join(args)
            elif label == "**2":
                text = f"{args[0]} ** 2"
            else:
                text = f"{label}({', '.join(args)})"
            parts.append(f"v{k} = {text}")
        return "; ".join(parts) or "x0"

    def __repr__(self) -> str:
        return f"Expression({self.n_inputs} inputs: {self}; at {self.point})"


def _function(op: Any) -> Callable[..., Any]:
    return op if isinstance(op, UserOp) else OPS[op][1]


def _arity(op: Any) -> int:
    return op.arity if isinstance(op, UserOp) else OPS[op][0]


def _valid(op: Any, args: list[ndarray]) -> ndarray | None:
    """The op's result at every point (as one array), or None where any point leaves its domain."""
    if not isinstance(op, UserOp) and not OPS[op][2](*args):
        return None
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(_function(op)(*args), dtype=np.float64)
    except (AutogradError, ArithmeticError, ValueError):
        return None
    if not np.all(np.isfinite(out)) or np.any(np.abs(out) > BOUND):
        return None
    return np.broadcast_to(out, args[0].shape).copy()


def _resolve_ops(chosen: Sequence[Any] | None) -> list[Any]:
    if chosen is None:
        return list(DEFAULT_OPS)
    items = list(chosen)
    if not items:
        raise SetupError("expressions(ops=...) needs at least one op")
    for op in items:
        if not isinstance(op, UserOp) and not (isinstance(op, str) and op in OPS):
            raise SetupError(f"expressions(): unknown op {excerpt(op)}; valid: {', '.join(OPS)} or a define_op op")
    return items


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def expressions(
    draw: st.DrawFn,
    n_inputs: int = 2,
    ops: Sequence[Any] | None = None,
    max_ops: int = 8,
    max_lanes: int = 4,
    scalar_inputs: int = 0,
    bound: float = 2.0,
) -> Expression:
    """Random expression DAGs whose every op is inside its domain at the drawn points.

    Parameters:
        n_inputs: number of inputs x0, x1, ...
        ops: op names from the table (``+ - * / ** **2 neg exp log sqrt tanh sigmoid softplus
            relu leaky_relu abs sin cos max min sum mean dot sum_squares logsumexp``; all by
            default) and/or ``define_op`` ops.
        max_ops: at most this many ops; operands are drawn from every earlier node, so
            sub-expressions are shared and nodes reused.
        max_lanes: up to this many input points (``e.points``; ``e.lanes`` has them as lanes).
        scalar_inputs: the first this many inputs take the same value at every point (a
            network's weights, say), so they can be scalar Values next to laned ones.
        bound: inputs are drawn from [-bound, bound].

    Kinked ops (relu, abs, max, ...) stay ``1e-3`` from their kink, singular ones (log, sqrt,
    /, **) ``0.1`` from their singularity, and every intermediate value below 1e4, so finite
    differences are meaningful.

    Example:
        >>> from hypothesis import given, settings
        >>> from autograd_core import Value, grad
        >>> @settings(max_examples=5)
        ... @given(expressions(n_inputs=1, ops=["*", "tanh", "exp"]))
        ... def test_grad_is_finite(e):
        ...     assert abs(grad(lambda x: e(x))(*e.point)) < float("inf")
        >>> test_grad_is_finite()
    """
    if not 1 <= n_inputs <= 20 or not 0 <= scalar_inputs <= n_inputs:
        raise SetupError(
            f"expressions(): n_inputs must be 1..20 and scalar_inputs 0..n_inputs, got {n_inputs}, {scalar_inputs}"
        )
    chosen = _resolve_ops(ops)
    k = draw(st.integers(1, max(1, max_lanes)), label="lanes")
    values = _floats(-bound, bound)
    shared = [draw(values, label=f"x{i}") for i in range(scalar_inputs)]
    laned = [draw(st.lists(values, min_size=k, max_size=k), label=f"x{i}") for i in range(scalar_inputs, n_inputs)]
    pool = [np.full(k, v) for v in shared] + [np.array(c) for c in laned]
    n_ops = draw(st.integers(1, max(1, max_ops)), label="ops")
    widest = max(_arity(op) for op in chosen)
    steps = []
    for _ in range(n_ops):
        first = draw(st.integers(0, len(chosen) - 1))
        operands = draw(st.lists(st.integers(0, len(pool) - 1), min_size=widest, max_size=widest))
        for shift in range(len(chosen)):  # the drawn op if it fits here, else the next one that does
            op = chosen[(first + shift) % len(chosen)]
            idx = tuple(operands[: _arity(op)])
            out = _valid(op, [pool[i] for i in idx])
            if out is not None:
                steps.append((op, idx))
                pool.append(out)
                break
    points = [tuple(float(col[j]) for col in pool[:n_inputs]) for j in range(k)]
    return Expression(n_inputs, steps, points, scalar_inputs)


@st.composite
def networks(
    draw: st.DrawFn,
    max_layers: int = 3,
    max_width: int = 4,
    activations: Sequence[str] = ("sigmoid", "tanh", "relu", "linear"),
    output_activations: Sequence[str] | None = None,
    n_inputs: int | None = None,
    n_outputs: int | tuple[int, int] | None = None,
    bound: float = 2.0,
) -> Network:
    """(Ws, bs, activations) in the tutorials' shapes: W_l is n_l × n_(l−1), b_l a column n_l × 1.

    Parameters:
        max_layers: 1 to this many layers (weight matrices).
        max_width: the width of every layer (and of the input, unless ``n_inputs``).
        activations: names drawn for the hidden layers (any strings: a user's code reads them).
        output_activations: names for the output layer (default: ``activations``).
        n_inputs: fix n_0; n_outputs: fix n_L, or give a (min, max) range.
        bound: weights and biases are drawn from [-bound, bound].

    Shrinking goes to fewer layers, narrower layers and simpler numbers.

    Example:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(networks(max_layers=2, n_inputs=3))
        ... def test_shapes(net):
        ...     Ws, bs, activations = net
        ...     assert Ws[0].shape[1] == 3 and all(b.shape == (W.shape[0], 1) for W, b in zip(Ws, bs))
        >>> test_shapes()
    """
    if not list(activations):
        raise SetupError("networks(): activations must name at least one activation")
    n_layers = draw(st.integers(1, max(1, max_layers)), label="layers")
    n0 = n_inputs if n_inputs is not None else draw(st.integers(1, max_width), label="n_0")
    if n_outputs is None:
        lo_out, hi_out = 1, max_width
    elif isinstance(n_outputs, int):
        lo_out = hi_out = n_outputs
    else:
        lo_out, hi_out = n_outputs
    sizes = [n0] + [draw(st.integers(1, max_width)) for _ in range(n_layers - 1)]
    sizes.append(draw(st.integers(lo_out, hi_out), label="n_L"))
    hidden = [draw(st.sampled_from(list(activations))) for _ in range(n_layers - 1)]
    last = draw(st.sampled_from(list(output_activations or activations)))
    values = _floats(-bound, bound)
    Ws, bs = [], []
    for i in range(n_layers):
        rows, cols = sizes[i + 1], sizes[i]
        flat = draw(st.lists(values, min_size=rows * cols, max_size=rows * cols))
        Ws.append(np.array(flat, dtype=np.float64).reshape(rows, cols))
        bs.append(np.array(draw(st.lists(values, min_size=rows, max_size=rows)), dtype=np.float64).reshape(rows, 1))
    return Network(Ws, bs, [*hidden, last])


def batches(n_features: int, max_size: int = 6, min_size: int = 1, bound: float = 2.0) -> st.SearchStrategy[ndarray]:
    """X of shape n_features × m (one column per sample, as in the tutorials), min_size ≤ m ≤ max_size.

    Example:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(batches(3, max_size=4))
        ... def test_columns(X):
        ...     assert X.shape[0] == 3 and 1 <= X.shape[1] <= 4
        >>> test_columns()
    """
    values = _floats(-bound, bound)

    @st.composite
    def draw_batch(draw: st.DrawFn) -> ndarray:
        m = draw(st.integers(min_size, max_size), label="m")
        flat = draw(st.lists(values, min_size=n_features * m, max_size=n_features * m))
        return np.array(flat, dtype=np.float64).reshape(n_features, m)

    return draw_batch()


def targets(loss: str, n_outputs: int, m: int) -> st.SearchStrategy[ndarray]:
    """Y of shape n_outputs × m that fits ``loss``: labels 0/1 for binary cross-entropy,
    one-hot columns for categorical cross-entropy, numbers in [−1, 1] otherwise.

    Example:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(targets("categorical_cross_entropy", 3, 4))
        ... def test_one_hot(Y):
        ...     assert Y.shape == (3, 4) and (Y.sum(axis=0) == 1).all()
        >>> test_one_hot()
    """
    name = loss_name(loss)
    if name == "binary_cross_entropy":
        cells = st.lists(st.sampled_from([0.0, 1.0]), min_size=n_outputs * m, max_size=n_outputs * m)
        return cells.map(lambda c: np.array(c).reshape(n_outputs, m))
    if name == "categorical_cross_entropy":
        labels = st.lists(st.integers(0, n_outputs - 1), min_size=m, max_size=m)
        return labels.map(lambda ls: np.eye(n_outputs)[:, ls])
    cells = st.lists(_floats(-1.0, 1.0), min_size=n_outputs * m, max_size=n_outputs * m)
    return cells.map(lambda c: np.array(c).reshape(n_outputs, m))


def output_activation_for(loss: str, activations: Sequence[str], output_activations: Sequence[str] | None) -> list[str]:
    """The output activations a loss can be drawn with: sigmoid for BCE, softmax for CCE."""
    name = loss_name(loss)
    if output_activations is not None:
        return list(output_activations)
    if name in OUTPUT_FOR_LOSS:
        return [OUTPUT_FOR_LOSS[name]]
    return [a for a in activations if a != "softmax"] or ["linear"]


def known_activation(name: str) -> bool:
    """True for the names the engine oracle evaluates (``network.ACTIVATIONS``)."""
    return name in ACTIVATIONS


__all__ = ["OPS", "Expression", "batches", "expressions", "networks", "targets"]
