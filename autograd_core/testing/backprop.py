"""``check_backprop``: a user's analytic backprop against the engine, over networks hypothesis draws.

The user's function is written in the tutorials' notation (samples are columns)::

    def my_backprop(Ws, bs, activations, X, Y, loss):
        ...                       # Z = W·A + b, dZ = dA ∗ g′(Z), dW = dZ·Aᵀ/m, db = Σ dZ/m
        return dWs, dbs           # dWs[l]: n_l × n_(l−1), dbs[l]: n_l × 1

Example:
    >>> import numpy as np
    >>> from autograd_core.testing import check_backprop
    >>> def one_layer(Ws, bs, activations, X, Y, loss):   # linear layer, loss "sse"
    ...     m = X.shape[1]
    ...     dZ = Ws[0] @ X + bs[0] - Y
    ...     return [dZ @ X.T / m], [dZ.sum(axis=1, keepdims=True) / m]
    >>> check_backprop(one_layer, activations=["linear"], losses=["sse"], max_layers=1, max_examples=20)
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st

from ..errors import AutogradError, GradcheckError, excerpt, excerpt_path, excerpt_text
from .network import (
    OUTPUT_FOR_LOSS,
    Network,
    SetupError,
    array_code,
    check_activation,
    engine_gradients,
    forward_numpy,
    kink_distance,
    loss_name,
)
from .strategies import batches, networks, targets

ndarray = np.ndarray
Backprop = Callable[..., Any]
DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
DEFAULT_LOSSES = ("sse", "mse", "binary_cross_entropy")
SATURATED = 1e-6  # a sigmoid/softmax output this close to 0 or 1 makes log-losses ill-conditioned


class Case(NamedTuple):
    """One drawn problem: a network, a batch X (n_0 × m), targets Y (n_L × m) and the loss name."""

    network: Network
    X: ndarray
    Y: ndarray
    loss: str

    def code(self, fn_name: str) -> str:
        """Python that rebuilds this case and calls both sides (pasteable into a test)."""
        return "\n".join(
            [
                "import numpy as np",
                "from autograd_core.testing import engine_gradients",
                self.network.code(),
                f"X = {array_code(self.X)}",
                f"Y = {array_code(self.Y)}",
                f"J, dWs, dbs = engine_gradients(Ws, bs, activations, X, Y, {self.loss!r})   # expected",
                f"my_dWs, my_dbs = {fn_name}(Ws, bs, activations, X, Y, {self.loss!r})",
            ]
        )

    def describe(self) -> str:
        """One line: sizes, activations, m and the loss."""
        sizes = " → ".join(str(n) for n in self.network.sizes)
        acts = ", ".join(self.network.activations)
        m = self.X.shape[1]
        return f"network {sizes} ({acts}), m = {m} sample{'s' * (m != 1)}, loss {self.loss!r}"


def _fn_name(fn: Backprop) -> str:
    name = getattr(fn, "__qualname__", None) or ""
    if not name or "<" in name:  # 'make.<locals>.f' is not Python: its own name reads better
        name = getattr(fn, "__name__", None) or type(fn).__name__
    return excerpt_text(name)


def _indent(text: str) -> str:
    return "    " + text.replace("\n", "\n    ")


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _report(case: Case, fn: Backprop, headline: str, details: str) -> GradcheckError:
    name = _fn_name(fn)
    return GradcheckError(
        f"check_backprop: {headline}\n"
        + (f"{details}\n" if details else "")
        + f"  smallest failing case hypothesis found: {case.describe()}\n"
        f"  reproduce:\n{_indent(case.code(name))}"
    )


def _shape_error(
    case: Case, fn: Backprop, what: str, layer: int, got: Any, expected: tuple[int, ...]
) -> GradcheckError:
    shape = np.shape(got)
    hint = ""
    if len(shape) == 2 and shape == expected[::-1] and shape != expected:
        hint = " - it looks transposed (dW = dZ·Aᵀ/m is n_l × n_(l−1))"
    elif what == "db" and shape == expected[:1]:
        hint = " - keep the column: np.sum(dZ, axis=1, keepdims=True) / m"
    head = f"{what}{layer} returned by {_fn_name(fn)} has shape {shape}, expected {expected}{hint}"
    W = case.network.Ws[layer - 1]
    details = f"  layer {layer} of {len(case.network.Ws)}: W{layer} is {W.shape}, b{layer} is {(W.shape[0], 1)}"
    return _report(case, fn, head, details)


def _as_pair(case: Case, fn: Backprop, result: Any) -> tuple[list[Any], list[Any]]:
    L = len(case.network.Ws)
    ok = isinstance(result, (tuple, list)) and len(result) == 2
    if ok:
        dWs, dbs = result
        ok = all(isinstance(d, (tuple, list)) and len(d) == L for d in (dWs, dbs))
    if not ok:
        got = f"{type(result).__name__} {excerpt(result)}"
        raise _report(case, fn, f"{_fn_name(fn)} must return (dWs, dbs), two lists of {L} arrays; got {got}", "")
    return list(dWs), list(dbs)


def _first_wrong(expected: ndarray, got: ndarray, atol: float, rtol: float) -> tuple[int, int] | None:
    bad = ~(np.abs(got - expected) <= atol + rtol * np.abs(expected))  # NaN in got counts as wrong
    if not bad.any():
        return None
    row, col = np.argwhere(bad)[0]
    return int(row), int(col)


def _compare(case: Case, fn: Backprop, result: Any, atol: float, rtol: float) -> None:
    Ws, bs, _ = case.network
    _, want_W, want_b = engine_gradients(Ws, bs, case.network.activations, case.X, case.Y, case.loss)
    dWs, dbs = _as_pair(case, fn, result)
    L = len(Ws)
    got_W, got_b = [], []
    for layer in range(L):  # shapes first: a wrong shape anywhere is named before any value
        for what, got, want, into in (("dW", dWs, want_W, got_W), ("db", dbs, want_b, got_b)):
            try:
                arr = np.asarray(got[layer], dtype=np.float64)
            except (TypeError, ValueError):
                raise _report(
                    case, fn, f"{what}{layer + 1} is not an array of numbers: {type(got[layer]).__name__}", ""
                ) from None
            if arr.shape != want[layer].shape:
                raise _shape_error(case, fn, what, layer + 1, arr, want[layer].shape)
            into.append(arr)
    wrong = []
    first = None
    for layer in reversed(range(L)):  # backprop order: an output-layer mistake spreads to every earlier layer
        for what, got, want in (("dW", got_W, want_W), ("db", got_b, want_b)):
            where = _first_wrong(want[layer], got[layer], atol, rtol)
            if where is not None:
                wrong.append(f"{what}{layer + 1}")
                if first is None:
                    first = (what, layer, where)
    if first is None:
        return
    what, layer, (row, col) = first
    want = (want_W if what == "dW" else want_b)[layer]
    got = (got_W if what == "dW" else got_b)[layer]
    e, g = float(want[row, col]), float(got[row, col])
    ratio = f"   (got / expected = {_fmt(g / e)})" if e != 0 and np.isfinite(g) else ""
    role = " (the output layer)" if layer == L - 1 else ""
    head = f"{what}{layer + 1} is wrong at layer {layer + 1}{role}, row {row}, column {col}"
    details = (
        f"  expected (engine)  {what}{layer + 1}[{row}, {col}] = {_fmt(e)}\n"
        f"  got ({_fn_name(fn)})  {what}{layer + 1}[{row}, {col}] = {_fmt(g)}{ratio}\n"
        f"  wrong, from the output back: {', '.join(wrong)}   (atol={atol:g}, rtol={rtol:g})"
    )
    raise _report(case, fn, head, details)


def _call(case: Case, fn: Backprop) -> Any:
    Ws, bs, acts = case.network
    args = ([W.copy() for W in Ws], [b.copy() for b in bs], list(acts), case.X.copy(), case.Y.copy(), case.loss)
    try:
        return fn(*args)
    except Exception as err:  # the user's code failed: say where, on which network
        frames = traceback.extract_tb(err.__traceback__)
        last = frames[-1]
        at = f"  at {excerpt_path(last.filename)}:{last.lineno}: {excerpt_text(last.line)}" if len(frames) > 1 else ""
        raise _report(case, fn, f"{_fn_name(fn)} raised {type(err).__name__}: {excerpt_text(err)}", at) from err


def _usable(case: Case, kink: float) -> bool:
    """False where a relu-family Z is within ``kink`` of 0 (its derivative there is a convention)
    or a log-loss output is saturated (its gradient is then rounding noise)."""
    Ws, bs, acts = case.network
    if kink_distance(Ws, bs, acts, case.X) <= kink:
        return False
    A = forward_numpy(Ws, bs, acts, case.X)[-1][1]
    if case.loss in OUTPUT_FOR_LOSS or case.network.activations[-1] in ("sigmoid", "softmax"):
        return bool(np.all((A > SATURATED) & (A < 1 - SATURATED)))
    return True


def _output_sizes(loss: str, n_outputs: int | tuple[int, int] | None, max_width: int) -> int | tuple[int, int]:
    if n_outputs is not None:
        return n_outputs
    if loss == "binary_cross_entropy":
        return 1  # the tutorials' binary classifier
    if loss == "categorical_cross_entropy":
        return (2, max(2, max_width))
    return (1, max_width)


def check_backprop(
    fn: Backprop,
    *,
    activations: Sequence[str] = DEFAULT_ACTIVATIONS,
    losses: Sequence[str] = DEFAULT_LOSSES,
    max_layers: int = 3,
    max_width: int = 4,
    max_batch: int = 5,
    n_inputs: int | None = None,
    n_outputs: int | tuple[int, int] | None = None,
    max_examples: int = 100,
    atol: float = 1e-8,
    rtol: float = 1e-6,
    kink: float = 1e-6,
    seed: int | None = None,
) -> None:
    """Check a hand-written backprop ``fn(Ws, bs, activations, X, Y, loss) -> (dWs, dbs)`` against the engine.

    Hypothesis draws a loss, a network (``networks``), a batch X with one column per sample
    (``batches``) and targets Y (``targets``); the engine's gradients (``engine_gradients``)
    are the expected values. The first disagreement raises ``GradcheckError`` (an
    ``AssertionError``) after hypothesis has shrunk it to the smallest case it can find; the
    message names the first wrong entry (layer, row, column; the output layer is compared
    first), expected vs got, the case, and Python that reproduces it. A wrong shape names the
    layer and the expected shape; an exception inside ``fn`` is reported with the case that
    triggered it.

    Parameters:
        activations: hidden-layer activations to draw (``linear sigmoid tanh relu leaky_relu
            softplus``); the output layer draws from them too, except that binary
            cross-entropy always ends in sigmoid and categorical cross-entropy in softmax.
        losses: loss names to draw (``sse`` ½ΣE²/m, ``mse`` ΣE²/(m·n_L),
            ``binary_cross_entropy``, ``categorical_cross_entropy``; see ``engine_gradients``).
        max_layers, max_width, max_batch: the largest network and batch drawn.
        n_inputs, n_outputs: fix n_0 or n_L (an int, or a (min, max) range for n_L). By default
            binary cross-entropy has one output (the tutorials' classifier).
        max_examples: cases to try; atol, rtol: an entry passes where
            ``|got − expected| ≤ atol + rtol·|expected|``.
        kink: cases where a relu/leaky_relu Z is this close to 0 are skipped (relu′(0) is a
            convention, not a derivative); saturated sigmoid/softmax outputs are skipped too.
        seed: draw the same cases on every run (default: hypothesis's own random draws).

    Example:
        >>> def wrong(Ws, bs, activations, X, Y, loss):          # dW forgot the 1/m
        ...     m = X.shape[1]
        ...     dZ = Ws[0] @ X + bs[0] - Y
        ...     return [dZ @ X.T], [dZ.sum(axis=1, keepdims=True) / m]
        >>> try:
        ...     check_backprop(wrong, activations=["linear"], losses=["sse"], max_layers=1, n_inputs=1, n_outputs=1)
        ... except AssertionError as err:
        ...     print(str(err).splitlines()[0])
        check_backprop: dW1 is wrong at layer 1 (the output layer), row 0, column 0
    """
    if not callable(fn):
        raise SetupError(
            f"check_backprop: fn must be a function (Ws, bs, activations, X, Y, loss), got {excerpt(fn, 60)}"
        )
    names = [loss_name(name) for name in losses]
    if not names:
        raise SetupError("check_backprop: losses must name at least one loss")
    hidden = list(activations)
    if not hidden:
        raise SetupError("check_backprop: activations must name at least one activation")
    for name in hidden:
        check_activation(name, last=True)
    if "softmax" in hidden:
        raise SetupError("check_backprop: softmax only ends a network; use losses=['categorical_cross_entropy']")
    for what, n in (("max_layers", max_layers), ("max_width", max_width), ("max_batch", max_batch)):
        if not isinstance(n, int) or n < 1:
            raise SetupError(f"check_backprop: {what} must be a positive integer, got {excerpt(n)}")

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        loss = draw(st.sampled_from(names), label="loss")
        out = [OUTPUT_FOR_LOSS[loss]] if loss in OUTPUT_FOR_LOSS else hidden
        net = draw(
            networks(
                max_layers=max_layers,
                max_width=max_width,
                activations=hidden,
                output_activations=out,
                n_inputs=n_inputs,
                n_outputs=_output_sizes(loss, n_outputs, max_width),
            ),
            label="network",
        )
        X = draw(batches(net.sizes[0], max_size=max_batch), label="X")
        Y = draw(targets(loss, net.sizes[-1], X.shape[1]), label="Y")
        return Case(net, X, Y, loss)

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no explain phase: it reruns under a tracer
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(cases())
    def run(case: Case) -> None:
        assume(_usable(case, kink))
        result = _call(case, fn)
        try:
            _compare(case, fn, result, atol, rtol)
        except GradcheckError:
            raise
        except AutogradError as err:  # the oracle could not evaluate this case: not the user's fault
            assume(False)
            raise AssertionError("unreachable") from err

    if seed is not None:
        run = seeded(seed)(run)
    run()
