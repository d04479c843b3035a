"""The one derivative table: every primitive op, its forward and its local derivatives.

A rule receives the upstream gradient ``g``, the op's output ``out`` and the op's inputs, and
returns that input's share of the gradient. Rules use plain arithmetic and the dispatching
functions below (``exp``, ``cos``, ...), so the same rule runs on floats, on NumPy lanes, and on
Values; on Values it records the backward pass as a graph (``backward(create_graph=True)``).
Masks such as relu's step are constants: their own derivative is zero almost everywhere.

Ops with a fixed number of inputs have one rule per input (the rules of constant inputs are
never called); ops over any number of inputs (sum, dot, logsumexp) have one ``vjp`` that
returns every share at once.

Example:
    >>> TANH.rules[0](1.0, 0.5, 0.5493)  # d tanh = g * (1 - out**2)
    0.75
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import DomainError, excerpt

ndarray = np.ndarray
EXP_MAX = 709.782712893384  # math.log(sys.float_info.max): exp() of anything larger overflows
_STABLE_HINT = "use a stable form (logsumexp, softplus, sigmoid, log_softmax)"


class Op:
    """A primitive op: a name, a forward on raw data, and its local derivatives.

    Example:
        >>> NEG.forward(2.0), NEG.rules[0](1.0, -2.0, 2.0)
        (-2.0, -1.0)
    """

    __slots__ = ("forward", "name", "patches_vjp", "rows_vjp", "rules", "vjp")

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        rules: tuple[Callable[..., Any], ...] | None = None,
        vjp: Callable[..., Any] | None = None,
        rows_vjp: Callable[..., Any] | None = None,
        patches_vjp: Callable[..., Any] | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.rules = rules
        self.vjp = vjp
        self.rows_vjp = rows_vjp  # dot only: the same rule for a layer of rows at once (fused.py)
        self.patches_vjp = patches_vjp  # dot, max_values, mean: the rule for a conv/pool layer at once (conv.py)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


# --- helpers for rules and forwards -------------------------------------------------------


def data_of(x: Any) -> Any:
    """The raw float or array behind a Value, or ``x`` itself when it is raw already."""
    return x if type(x) is float or type(x) is ndarray else x._data


def _step(x: Any) -> Any:
    """1 where x > 0, else 0: a constant mask (relu's derivative; a bool array on lanes)."""
    d = data_of(x)
    return d > 0 if type(d) is ndarray else float(d > 0)


def _sign(x: Any) -> Any:
    d = data_of(x)
    return np.sign(d) if type(d) is ndarray else float((d > 0) - (d < 0))


def _leaky_mask(x: Any, slope: Any) -> Any:
    d = data_of(x)
    return np.where(d > 0, 1.0, slope) if type(d) is ndarray else (1.0 if d > 0 else slope)


def _pick(a: Any, b: Any) -> Any:
    """Share of ``maximum(a, b)``'s gradient going to ``a``: 1 where a > b, 1/2 on ties."""
    da, db = data_of(a), data_of(b)
    share = (da > db) + 0.5 * (da == db)
    return share.astype(float) if type(share) is ndarray else float(share)


def ones_like(x: Any) -> Any:
    """1.0 for a scalar, an array of ones for lanes."""
    d = data_of(x)
    return np.ones(d.shape) if type(d) is ndarray else 1.0


def lane_count(x: Any) -> int:
    """Number of lanes of ``x`` (1 for a scalar)."""
    d = data_of(x)
    return d.shape[0] if type(d) is ndarray else 1


def describe(x: Any, bad: Any = None) -> str:
    """A short text for a value in an error message (the first offending lane of an array)."""
    if type(x) is ndarray:
        lane = int(np.flatnonzero(bad)[0]) if bad is not None and np.any(bad) else 0
        return f"{float(x[lane])!r} in lane {lane} of {x.shape[0]}"  # not NumPy 2's 'np.float64(...)'
    return repr(float(x))


def _check_finite_array(name: str, out: ndarray, *inputs: Any) -> ndarray:
    if not np.all(np.isfinite(out)) and all(np.all(np.isfinite(x)) for x in inputs):
        bad = ~np.isfinite(out)
        raise DomainError(f"{name} overflows float64 at {describe(inputs[0], bad)}")
    return out


# --- forwards (raw floats and NumPy lanes; they check their own domain) -------------------


def _div(a: Any, b: Any) -> Any:
    if type(b) is ndarray:
        if not np.all(b):
            raise DomainError(f"/ divides by zero: denominator {describe(b, b == 0)}")
    elif b == 0:
        raise DomainError(f"/ divides by zero: denominator {excerpt(b)}")
    return a / b


def _pow(a: Any, k: Any) -> Any:
    if type(a) is ndarray or type(k) is ndarray:
        non_integer = k != np.floor(k)
        bad = (np.asarray(a) < 0) & non_integer
        if np.any(bad):
            base = describe(np.broadcast_to(a, np.shape(bad)), bad)
            raise DomainError(f"** needs a non-negative base for a non-integer exponent, got base {base}")
        bad = (np.asarray(a) == 0) & (np.asarray(k) < 0)
        if np.any(bad):
            raise DomainError("** divides by zero: base 0.0 with a negative exponent")
        with np.errstate(over="ignore"):
            return _check_finite_array("**", np.power(a, k), a, k)
    if a < 0 and k != math.floor(k):
        raise DomainError(
            f"** needs a non-negative base for a non-integer exponent, got base {excerpt(a)} ** {excerpt(k)}"
        )
    if a == 0 and k < 0:
        raise DomainError(f"** divides by zero: base 0.0 with exponent {excerpt(k)}")
    try:
        return a**k
    except OverflowError:
        raise DomainError(f"** overflows float64: {excerpt(a)} ** {excerpt(k)}") from None


def _exp(x: Any) -> Any:
    if type(x) is ndarray:
        if np.any(x > EXP_MAX):
            raise DomainError(f"exp() overflows float64 at {describe(x, x > EXP_MAX)}; {_STABLE_HINT}")
        return np.exp(x)
    if x > EXP_MAX:
        raise DomainError(f"exp() overflows float64 at {excerpt(x)}; {_STABLE_HINT}")
    return math.exp(x)


def _log(x: Any) -> Any:
    if type(x) is ndarray:
        if not np.all(x > 0):
            raise DomainError(f"log() needs a positive input, got {describe(x, ~(x > 0))}")
        return np.log(x)
    if not x > 0:
        raise DomainError(f"log() needs a positive input, got {excerpt(x)}")
    return math.log(x)


def _sqrt(x: Any) -> Any:
    if type(x) is ndarray:
        if not np.all(x >= 0):
            raise DomainError(f"sqrt() needs a non-negative input, got {describe(x, ~(x >= 0))}")
        return np.sqrt(x)
    if not x >= 0:
        raise DomainError(f"sqrt() needs a non-negative input, got {excerpt(x)}")
    return math.sqrt(x)


def _tanh(x: Any) -> Any:
    return np.tanh(x) if type(x) is ndarray else math.tanh(x)


def _sigmoid(x: Any) -> Any:
    # Two branches so that exp() never overflows and tiny outputs keep their digits.
    if type(x) is ndarray:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: Any) -> Any:
    # log(1 + e**x) = max(x, 0) + log1p(e**-|x|), exact and overflow-free.
    if type(x) is ndarray:
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: Any) -> Any:
    return np.maximum(x, 0.0) if type(x) is ndarray else (x if x > 0 else 0.0)


def _leaky_relu(x: Any, slope: Any) -> Any:
    return np.where(x > 0, x, slope * x) if type(x) is ndarray else (x if x > 0 else slope * x)


def _abs(x: Any) -> Any:
    return np.abs(x) if type(x) is ndarray else abs(x)


def _sin(x: Any) -> Any:
    return np.sin(x) if type(x) is ndarray else math.sin(x)


def _cos(x: Any) -> Any:
    return np.cos(x) if type(x) is ndarray else math.cos(x)


def _maximum(a: Any, b: Any) -> Any:
    if type(a) is ndarray or type(b) is ndarray:
        return np.maximum(a, b)
    return a if a >= b else b


def _minimum(a: Any, b: Any) -> Any:
    if type(a) is ndarray or type(b) is ndarray:
        return np.minimum(a, b)
    return a if a <= b else b


def _sum(*xs: Any) -> Any:
    return sum(xs)


def _mean(*xs: Any) -> Any:
    return sum(xs) / len(xs)


def _dot(*ws_and_xs: Any) -> Any:
    n = len(ws_and_xs) // 2
    return sum(map(operator.mul, ws_and_xs[:n], ws_and_xs[n:]))


def _max_values(*xs: Any) -> Any:
    if any(type(x) is ndarray for x in xs):
        top = xs[0]
        for x in xs[1:]:
            top = np.maximum(top, x)
        return top
    return max(xs)


def _sum_squares(*xs: Any) -> Any:
    return sum(map(operator.mul, xs, xs))


def _sum_squares_vjp(g: Any, out: Any, *xs: Any) -> list[Any]:
    twice = 2.0 * g
    return [twice * x for x in xs]


def _logsumexp(*xs: Any) -> Any:
    if any(type(x) is ndarray for x in xs):
        top = xs[0]
        for x in xs[1:]:
            top = np.maximum(top, x)
        shift = np.where(np.isfinite(top), top, 0.0)  # all -inf, or a +inf: no shift, exact result
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return shift + np.log(sum(np.exp(x - shift) for x in xs))
    top = max(xs)
    if math.isinf(top):  # a +inf input makes it +inf; all -inf makes it -inf
        return top
    return top + math.log(sum(math.exp(x - top) for x in xs))


def _rows(vs: tuple[Any, ...]) -> ndarray:
    """Floats and lane arrays as the rows of one 2-D array (floats repeated over the lanes)."""
    try:
        return np.stack(vs)  # the common case: every row has the lanes already
    except ValueError:
        return np.stack(np.broadcast_arrays(*vs))


def _softmax_xent(*zs_and_ys: Any) -> Any:
    """Softmax cross-entropy of logits z_1..z_k against target weights y_1..y_k: Σ_j y_j (lse(z) - z_j)."""
    k = len(zs_and_ys) // 2
    zs, ys = zs_and_ys[:k], zs_and_ys[k:]
    if any(type(v) is ndarray for v in zs_and_ys):  # lanes: the k rows at once, shifted per lane by the max
        Z, Y = _rows(zs), _rows(ys)
        top = Z.max(axis=0)
        lse = top + np.log(np.exp(Z - top).sum(axis=0))
        return _check_finite_array("softmax_xent", (Y * (lse - Z)).sum(axis=0), Z)
    top = max(zs)
    lse = top + math.log(sum(math.exp(z - top) for z in zs))
    return sum(y * (lse - z) for z, y in zip(zs, ys))


def _lane_sum(x: Any) -> float:
    return float(np.sum(x))


def _lane_mean(x: Any) -> float:
    return float(np.mean(x))


# --- vjps of the ops over any number of inputs --------------------------------------------


def _dot_vjp(g: Any, out: Any, *ws_and_xs: Any) -> list[Any]:
    n = len(ws_and_xs) // 2
    ws, xs = ws_and_xs[:n], ws_and_xs[n:]
    if type(g) is ndarray:
        # Lanes: a float weight's share g*x is summed over lanes anyway, so take it as one dot product.
        w_shares = [float(g @ x) if type(w) is float and type(x) is ndarray else g * x for w, x in zip(ws, xs)]
        return w_shares + [g * w for w in ws]
    return [g * x for x in xs] + [g * w for w in ws]


def _pow_base_rule(g: Any, out: Any, a: Any, k: Any) -> Any:
    """d a**k / da = k * a**(k-1); where k == 0 it is 0, without evaluating 0**-1."""
    if type(k) is float and k == 0.0:
        return g * 0.0
    if type(k) is ndarray and not k.all():  # an exponent of 0 in some lanes
        live = k != 0
        k1 = np.where(live, k, 1.0)
        return g * live * k1 * a ** (k1 - 1)
    return g * k * a ** (k - 1)


def _dot_rows_vjp(G: ndarray, W: ndarray, X: ndarray) -> tuple[ndarray, ndarray, ndarray]:
    """The dot rule for rows z_j = w_j · x + b_j over lanes: G holds every dL/dz_j (rows × lanes).

    Returns dW = G Xᵀ (each weight's g·x summed over lanes), db = Σ_lanes G, dX = Wᵀ G.
    """
    return G @ X.T, G.sum(axis=1), W.T @ G


def _max_values_vjp(g: Any, out: Any, *xs: Any) -> list[Any]:
    """All of g goes to the first input equal to the max (per lane), as PyTorch's max pooling does."""
    top = data_of(out)
    shares = []
    if type(top) is ndarray:
        free = np.ones(top.shape, dtype=bool)  # lanes whose max has not been handed out yet
        for x in xs:
            hit = (data_of(x) == top) & free
            free &= ~hit
            shares.append(g * hit.astype(float))
        return shares
    free_scalar = True
    for x in xs:
        hit = free_scalar and data_of(x) == top
        free_scalar = free_scalar and not hit
        shares.append(g * float(hit))
    return shares


def _dot_patches_vjp(
    G: ndarray, W: ndarray, cols: ndarray, index: ndarray, n_inputs: int
) -> tuple[ndarray, ndarray, ndarray]:
    """The dot rule for a convolution: z[f, p] = w_f · cols[:, p] + b_f, every pixel p a dot node.

    G (filters × pixels × lanes) holds every dL/dz; W (filters × K) the flattened filters;
    cols (K × pixels × lanes) each pixel's receptive field (im2col); index (K × pixels) the input
    each entry of cols came from (``n_inputs`` for padding). Returns dW = G colsᵀ (each weight's
    g·x summed over pixels and lanes), db = Σ G, and dX (n_inputs × lanes): Wᵀ G added back
    onto the inputs the receptive fields share (col2im).
    """
    filters, pixels, lanes = G.shape
    G2 = G.reshape(filters, pixels * lanes)
    dW = G2 @ cols.reshape(cols.shape[0], pixels * lanes).T
    dcols = (W.T @ G2).reshape(-1, lanes)
    dX = np.zeros((n_inputs + 1, lanes))
    dcols = dcols.reshape(index.shape[0], pixels, lanes)
    for k in range(index.shape[0]):  # one kernel entry reads a different input at every pixel: no repeats
        dX[index[k]] += dcols[k]  # (but the padding row, which is dropped)
    return dW, G2.sum(axis=1), dX[:n_inputs]


def _max_patches_vjp(G: ndarray, V: ndarray, index: ndarray, n_inputs: int) -> ndarray:
    """max_values' rule for a pooling layer: window w's gradient G[w] goes, lane by lane, to the
    first input of its window equal to the max (as ``_max_values_vjp`` for one window).

    V (windows × k × lanes) holds every window's inputs, index (windows × k) their positions.
    Returns dX (n_inputs × lanes), summed where windows overlap.
    """
    windows, _k, lanes = V.shape
    first = V.argmax(axis=1)  # (windows, lanes): argmax picks the first of equal maxima
    source = index[np.arange(windows)[:, None], first]
    dX = np.zeros((n_inputs, lanes))
    np.add.at(dX, (source, np.broadcast_to(np.arange(lanes), source.shape)), G)
    return dX


def _mean_patches_vjp(G: ndarray, V: ndarray, index: ndarray, n_inputs: int) -> ndarray:
    """mean's rule for a pooling layer: every input of window w gets G[w] / k (summed where windows overlap)."""
    share = G / V.shape[1]
    dX = np.zeros((n_inputs, V.shape[2]))
    np.add.at(dX, index, np.broadcast_to(share[:, None, :], V.shape))
    return dX


def _softmax_xent_vjp(g: Any, out: Any, *zs_and_ys: Any) -> list[Any]:
    """d/dz_j = g (softmax_j Σ_i y_i - y_j), d/dy_j = g (lse - z_j); on lanes, floats or Values alike."""
    k = len(zs_and_ys) // 2
    zs, ys = zs_and_ys[:k], zs_and_ys[k:]
    if type(g) is ndarray and all(type(v) is ndarray or type(v) is float for v in zs_and_ys):  # plain lanes
        Z, Y = _rows(zs), _rows(ys)
        top = Z.max(axis=0)
        E = np.exp(Z - top)
        total = E.sum(axis=0)
        dZ = g * (E / total * Y.sum(axis=0) - Y)
        dY = g * (top + np.log(total) - Z)
        return [*dZ, *dY]
    # floats, or Values under create_graph: the same formula with the dispatching functions (top is a constant
    # shift: the softmax does not depend on it)
    raw = [data_of(z) for z in zs]
    top = np.max(np.stack(np.broadcast_arrays(*raw)), axis=0) if any(type(r) is ndarray for r in raw) else max(raw)
    es = [exp(z - top) for z in zs]
    total = sum(es[1:], es[0])
    ytotal = sum(ys[1:], ys[0])
    lse = log(total) + top
    return [g * (e / total * ytotal - y) for e, y in zip(es, ys)] + [g * (lse - z) for z in zs]


def _logsumexp_vjp(g: Any, out: Any, *xs: Any) -> list[Any]:
    return [g * exp(x - out) for x in xs]  # d lse / d x_i = softmax_i


# --- the table ----------------------------------------------------------------------------
# Each rule: (g, out, *inputs) -> the share of the gradient for one input, in input order.

# (+g is g itself for numbers and Values, a copy for arrays: no two nodes share a gradient array)
ADD = Op("+", operator.add, rules=(lambda g, out, a, b: +g, lambda g, out, a, b: +g))
SUB = Op("-", operator.sub, rules=(lambda g, out, a, b: +g, lambda g, out, a, b: -g))
MUL = Op("*", operator.mul, rules=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a))
DIV = Op("/", _div, rules=(lambda g, out, a, b: g / b, lambda g, out, a, b: -g * out / b))
POW = Op(
    "**",
    _pow,
    rules=(
        _pow_base_rule,  # g * k * a ** (k - 1)
        lambda g, out, a, k: g * out * log(a),  # only when the exponent is a Value
    ),
)
NEG = Op("neg", operator.neg, rules=(lambda g, out, x: -g,))
EXP = Op("exp", _exp, rules=(lambda g, out, x: g * out,))
LOG = Op("log", _log, rules=(lambda g, out, x: g / x,))
SQRT = Op("sqrt", _sqrt, rules=(lambda g, out, x: g / (2.0 * out),))
TANH = Op("tanh", _tanh, rules=(lambda g, out, x: g * (1.0 - out * out),))
SIGMOID = Op("sigmoid", _sigmoid, rules=(lambda g, out, x: g * out * (1.0 - out),))
SOFTPLUS = Op("softplus", _softplus, rules=(lambda g, out, x: g * sigmoid(x),))
RELU = Op("relu", _relu, rules=(lambda g, out, x: g * _step(x),))
LEAKY_RELU = Op("leaky_relu", _leaky_relu, rules=(lambda g, out, x, s: g * _leaky_mask(x, s), None))
ABS = Op("abs", _abs, rules=(lambda g, out, x: g * _sign(x),))
SIN = Op("sin", _sin, rules=(lambda g, out, x: g * cos(x),))
COS = Op("cos", _cos, rules=(lambda g, out, x: -g * sin(x),))
MAXIMUM = Op("max", _maximum, rules=(lambda g, out, a, b: g * _pick(a, b), lambda g, out, a, b: g * _pick(b, a)))
MINIMUM = Op("min", _minimum, rules=(lambda g, out, a, b: g * _pick(b, a), lambda g, out, a, b: g * _pick(a, b)))
SUM = Op("sum", _sum, vjp=lambda g, out, *xs: [+g for _ in xs])
MEAN = Op("mean", _mean, vjp=lambda g, out, *xs: [g / len(xs) for _ in xs], patches_vjp=_mean_patches_vjp)
DOT = Op("dot", _dot, vjp=_dot_vjp, rows_vjp=_dot_rows_vjp, patches_vjp=_dot_patches_vjp)
MAX_VALUES = Op("max_values", _max_values, vjp=_max_values_vjp, patches_vjp=_max_patches_vjp)
SUM_SQUARES = Op("sum_squares", _sum_squares, vjp=_sum_squares_vjp)
LOGSUMEXP = Op("logsumexp", _logsumexp, vjp=_logsumexp_vjp)
SOFTMAX_XENT = Op("softmax_xent", _softmax_xent, vjp=_softmax_xent_vjp)
LANE_SUM = Op("lane_sum", _lane_sum, rules=(lambda g, out, x: g * ones_like(x),))
LANE_MEAN = Op("lane_mean", _lane_mean, rules=(lambda g, out, x: g * ones_like(x) / lane_count(x),))

TABLE: dict[str, Op] = {
    op.name: op
    for op in (
        *(ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, SQRT, TANH, SIGMOID, SOFTPLUS, RELU),
        *(LEAKY_RELU, ABS, SIN, COS, MAXIMUM, MINIMUM, SUM, MEAN, DOT, SUM_SQUARES, LOGSUMEXP, LANE_SUM, LANE_MEAN),
        MAX_VALUES,
        SOFTMAX_XENT,
    )
}


# --- functions that work on numbers, NumPy lanes and Values alike -------------------------


def _raw(x: Any) -> Any:
    """``x`` as a float or float array when it is a plain number or array, else None (a Value)."""
    if type(x) is float or type(x) is ndarray:
        return x
    if isinstance(x, (int, float, np.number)):
        return float(x)
    return None


def _unary(op: Op, method: str) -> Callable[[Any], Any]:
    def apply(x: Any) -> Any:
        raw = _raw(x)
        return op.forward(raw) if raw is not None else getattr(x, method)()

    apply.__name__ = method
    apply.__qualname__ = method
    apply.__doc__ = (
        f"``{method}`` of a number, a NumPy array of lanes, or a Value (then a graph node).\n\n"
        f"Example:\n    >>> from autograd_core import {method}, Value\n"
        f"    >>> type({method}(0.5)).__name__, {method}(Value(0.5)).op\n"
        f"    ('float', '{op.name}')\n"
    )
    return apply


exp = _unary(EXP, "exp")
log = _unary(LOG, "log")
sqrt = _unary(SQRT, "sqrt")
tanh = _unary(TANH, "tanh")
sigmoid = _unary(SIGMOID, "sigmoid")
softplus = _unary(SOFTPLUS, "softplus")
relu = _unary(RELU, "relu")
sin = _unary(SIN, "sin")
cos = _unary(COS, "cos")
