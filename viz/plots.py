"""Matplotlib pictures of training: loss curve, decision boundary, activations, loss surface, gradient norms.

Every function returns a ``matplotlib.figure.Figure`` and, given ``path``, also saves it as a PNG
(or any format matplotlib knows, by the extension). Figures are made without ``pyplot``, on the
headless Agg canvas: nothing opens a window, nothing needs a display, and no global figure list
grows. In Jupyter, a returned Figure as the last line of a cell is shown inline.

matplotlib is the optional extra ``plot``: ``pip install 'autograd-core[plot]'``. Without it every
function raises ``PlotDependencyError`` (an ``AutogradError`` and an ``ImportError``) saying so.

Example:
    >>> from nn import MLP, fit, make_moons
    >>> X, y = make_moons(40, noise=0.1, seed=0)
    >>> model = MLP(2, [8, 1], seed=0)
    >>> history = fit(model, X, y, loss="hinge", lr=0.1, epochs=3, batch_size=None, progress=False)
    >>> fig = loss_curve(history)                   # a matplotlib Figure
    >>> [ax.get_title() for ax in fig.axes]
    ['training loss', 'accuracy']
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd_core import Value, no_grad
from autograd_core.errors import excerpt, excerpt_path
from nn.train import layer_grad_norms

from .graph import VizError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "INSTALL_PLOT",
    "GradientNormRecorder",
    "PlotDependencyError",
    "activations",
    "decision_boundary",
    "gradient_norms",
    "layer_grad_norms",
    "loss_curve",
    "loss_surface",
]

INSTALL_PLOT = "pip install 'autograd-core[plot]'"
ELEMENTWISE = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu")
CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
DPI = 100


class PlotDependencyError(VizError, ImportError):
    """matplotlib is not installed: ``pip install 'autograd-core[plot]'``."""


def _figure(width: float, height: float) -> Figure:
    """A new Figure on the Agg canvas (no pyplot, no window); PlotDependencyError without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotDependencyError(f"plots need matplotlib; install it with: {INSTALL_PLOT}") from None
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        path = Path(path)
        if not path.parent.is_dir():
            raise VizError(
                f"cannot write {excerpt_path(path, quote=True)}: "
                f"the folder {excerpt_path(path.parent, quote=True)} does not exist"
            )
        try:
            fig.savefig(path, dpi=DPI)
        except OSError as err:
            raise VizError(f"cannot write {excerpt_path(path, quote=True)}: {err.strerror or err}") from None
        except ValueError as err:  # an unknown extension
            raise VizError(f"cannot write {excerpt_path(path, quote=True)}: {err}") from None
    return fig


# --- loss curve ---------------------------------------------------------------------------------


def _history_dict(history: Any) -> dict[str, Any]:
    """History, its ``to_dict()`` (history.json) or a plain list of losses -> a dict of lists."""
    if hasattr(history, "to_dict") and callable(history.to_dict):
        history = history.to_dict()
    if isinstance(history, Mapping):
        if "loss" not in history:
            raise VizError("loss_curve(): the history has no 'loss' entry")
        return dict(history)
    if isinstance(history, (list, tuple, np.ndarray)):
        return {"loss": list(history)}
    raise VizError(f"loss_curve() needs a History, its to_dict() or a list of losses, got {type(history).__name__}")


def _series(xs: Iterable[Any]) -> np.ndarray:
    return np.array([np.nan if x is None else float(x) for x in xs], dtype=np.float64)


def loss_curve(
    history: Any,
    path: str | Path | None = None,
    log: bool = False,
    title: str | None = None,
    held_out: str = "validation",
) -> Figure:
    """Training (and validation) loss per epoch, and the metrics beside it when there are any.

    Parameters:
        history: an ``nn.train.History``, its ``to_dict()`` (as in history.json) or a list of losses.
        path: save the figure there (PNG by default).
        log: a logarithmic loss axis (non-positive losses are left out).
        title: the figure's title (default "training loss").
        held_out: what the legend calls the held-out set (``backprop train`` says "test", as
            its summary does).

    Example:
        >>> fig = loss_curve({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, held_out="test")
        >>> fig.axes[0].get_legend_handles_labels()[1]
        ['train loss, epoch mean (final 0.5)', 'test loss (final 0.7)']
    """
    h = _history_dict(history)
    loss = _series(h["loss"])
    if loss.size == 0:
        raise VizError("loss_curve(): the history is empty (0 epochs)")
    val = _series(h.get("val_loss") or [])
    metrics = {k: _series(v) for k, v in (h.get("metrics") or {}).items() if v}
    val_metrics = {k: _series(v) for k, v in (h.get("val_metrics") or {}).items() if v}
    fig = _figure(9.0 if metrics else 5.5, 3.6)
    axes = fig.subplots(1, 2) if metrics else [fig.subplots()]
    ax = axes[0]
    epochs = np.arange(1, loss.size + 1)
    finite = loss[np.isfinite(loss)]
    final = f" (final {finite[-1]:.4g})" if finite.size else ""
    ax.plot(epochs, loss, color="#1f77b4", lw=1.8, label=f"train loss, epoch mean{final}")
    if val.size:
        vfinite = val[np.isfinite(val)]
        vfinal = f" (final {vfinite[-1]:.4g})" if vfinite.size else ""
        ax.plot(np.arange(1, val.size + 1), val, color="#ff7f0e", lw=1.8, label=f"{held_out} loss{vfinal}")
    best = h.get("best_epoch")
    if isinstance(best, int) and 0 <= best < loss.size:
        ax.axvline(best + 1, color="#868e96", ls=":", lw=1, label=f"best epoch ({best + 1})")
    if log:
        ax.set_yscale("log", nonpositive="mask")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" + (" (log scale)" if log else ""))
    ax.set_title(title or "training loss")
    ax.grid(True, alpha=0.3, which="both" if log else "major")
    ax.set_xlim(1, max(2, loss.size))
    ax.legend(loc="upper right", fontsize=9)
    if metrics:
        mx = axes[1]
        for i, (name, values) in enumerate(metrics.items()):
            color = CLASS_COLORS[i % len(CLASS_COLORS)]
            mx.plot(np.arange(1, values.size + 1), values, color=color, lw=1.8, label=f"train {name}")
            if name in val_metrics:
                v = val_metrics[name]
                mx.plot(np.arange(1, v.size + 1), v, color=color, ls="--", lw=1.5, label=f"{held_out} {name}")
        mx.set_xlabel("epoch")
        mx.set_title(", ".join(metrics))
        mx.grid(True, alpha=0.3)
        mx.set_xlim(1, max(2, loss.size))
        if set(metrics) == {"accuracy"}:
            mx.set_ylim(-0.02, 1.02)
        mx.legend(loc="lower right", fontsize=9)
    return _save(fig, path)


# --- decision boundary --------------------------------------------------------------------------


def _labels(y: Any, n: int) -> np.ndarray:
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise VizError("decision_boundary(): y must be numeric class labels") from None
    if arr.ndim == 2:
        arr = np.argmax(arr, axis=1) if arr.shape[1] > 1 else arr[:, 0]
    if arr.shape != (n,):
        raise VizError(f"decision_boundary(): X has {n} rows but y has shape {np.shape(y)}")
    if arr.size and np.min(arr) < 0:  # ±1 labels
        arr = (arr > 0).astype(np.float64)
    return arr.astype(np.int64)


def decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    path: str | Path | None = None,
    resolution: int = 200,
    padding: float = 0.5,
    title: str | None = None,
    threshold: float | None = None,
) -> Figure:
    """The class regions of a 2-input classifier over the data, with the data points on top.

    The whole grid (``resolution`` x ``resolution`` points) is evaluated in ONE model call: every
    grid point is a lane, under ``no_grad``. One output: the regions are ``output > threshold``
    (0.5 for a sigmoid output layer, else 0: logits, hinge scores) and the boundary is drawn where
    the output crosses it; several outputs: the argmax.

    Example:
        >>> from nn import MLP, make_moons
        >>> X, y = make_moons(30, seed=0)
        >>> fig = decision_boundary(MLP(2, [4, 1], seed=0), X, y, resolution=20)
        >>> fig.axes[0].get_title().startswith("decision boundary")
        True
    """
    from nn.train import default_threshold, predict, predict_classes

    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise VizError(f"decision_boundary() needs 2-D inputs (n_samples, 2), got shape {arr.shape}")
    if getattr(model, "nin", 2) != 2:
        raise VizError(f"decision_boundary() needs a model with 2 inputs, this one has {model.nin}")
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or not 2 <= resolution <= 2000:
        raise VizError(f"decision_boundary(): resolution must be an integer in [2, 2000], got {excerpt(resolution)}")
    labels = _labels(y, len(arr))
    lo, hi = arr.min(axis=0) - padding, arr.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    out = predict(model, grid)  # one call, resolution**2 lanes, no_grad
    thr = default_threshold(model) if threshold is None else float(threshold)
    with np.errstate(invalid="ignore"):
        if out.ndim == 2:
            regions = np.argmax(out, axis=1).reshape(gx.shape)
            k = max(out.shape[1], int(labels.max()) + 1)
        else:
            regions = (out > thr).astype(np.int64).reshape(gx.shape)
            k = max(2, int(labels.max()) + 1)
        pred = predict_classes(model, arr, thr)
    accuracy = float(np.mean(pred == labels))

    from matplotlib.colors import ListedColormap

    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(k)]
    fig = _figure(5.5, 4.6)
    ax = fig.subplots()
    ax.contourf(gx, gy, regions, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(colors), alpha=0.22)
    if out.ndim == 1:
        score = out.reshape(gx.shape)
        if np.nanmin(score) < thr < np.nanmax(score):
            ax.contour(gx, gy, score, levels=[thr], colors="#343a40", linewidths=1.2)
    for c in range(k):
        mask = labels == c
        if mask.any():
            ax.scatter(
                arr[mask, 0],
                arr[mask, 1],
                s=22,
                color=colors[c],
                edgecolors="white",
                linewidths=0.6,
                label=f"class {c}",
                zorder=3,
            )
    wrong = pred != labels
    if wrong.any():
        ax.scatter(
            arr[wrong, 0],
            arr[wrong, 1],
            s=70,
            facecolors="none",
            edgecolors="black",
            linewidths=1.0,
            label="misclassified",
            zorder=4,
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(title or f"decision boundary: {accuracy:.1%} of these {len(arr)} points right")
    ax.legend(loc="best", fontsize=8, framealpha=0.85)
    return _save(fig, path)


# --- activations --------------------------------------------------------------------------------


def _activation_and_derivative(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g(z) and g'(z) over all of z at once: z is one laned Value, g' comes from backward()."""
    from nn import activations as acts

    fn = acts.get(name)
    x = Value(z.copy(), label="z")
    a = fn(x)
    if a is x:  # linear: the identity returns its input; make it a node
        a = x * 1.0
    a.sum().backward()
    grad = np.broadcast_to(np.asarray(x.grad, dtype=np.float64), z.shape)
    return np.asarray(a.data, dtype=np.float64), np.array(grad)


def activations(
    path: str | Path | None = None, names: Sequence[str] = ELEMENTWISE, span: float = 4.0, points: int = 401
) -> Figure:
    """Each activation g(z) (solid) and its derivative g'(z) (dashed), one panel per activation.

    The derivatives are the engine's: all ``points`` values of z are the lanes of ONE Value, and
    ``backward()`` fills its gradient with g'(z) (no formulas written here).

    Example:
        >>> fig = activations(names=["tanh", "relu"], points=21)
        >>> [ax.get_title() for ax in fig.axes]
        ['tanh', 'relu']
    """
    from nn import activations as acts

    names = [acts.canonical_name(n) for n in names]
    for name in names:
        if acts.is_layerwise(acts.get(name)):
            raise VizError(f"activations(): {name} acts on a whole layer and has no curve of one variable")
    if not names:
        raise VizError("activations(): give at least one activation name")
    z = np.linspace(-span, span, points)
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    fig = _figure(3.0 * cols, 2.6 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, name in zip(axes, names, strict=False):
        g, dg = _activation_and_derivative(name, z)
        ax.axhline(0, color="#adb5bd", lw=0.8)
        ax.axvline(0, color="#adb5bd", lw=0.8)
        ax.plot(z, g, color="#1f77b4", lw=2, label="g(z)")
        ax.plot(z, dg, color="#d62728", lw=1.6, ls="--", label="g′(z) (backward)")
        ax.set_title(name)
        ax.set_xlim(-span, span)
        low = min(-0.25, float(np.min(g)), float(np.min(dg)))
        high = max(1.25, min(float(np.max(g)), span) + 0.25, float(np.max(dg)) + 0.1)
        ax.set_ylim(low - 0.1, high)
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("z")
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("activations and their derivatives (computed by backward)")
    return _save(fig, path)


# --- loss surface -------------------------------------------------------------------------------


def _parameter(model: Any, p: Any) -> tuple[Value, str]:
    """A parameter by Value, by ``named_parameters`` name or by node label ('L0.N0.w1')."""
    params = list(model.parameters())
    if isinstance(p, Value):
        if not any(p is q for q in params):
            raise VizError(f"loss_surface(): {excerpt(p)} is not a parameter of the model")
        return p, p.label or "parameter"
    if isinstance(p, str):
        named = getattr(model, "named_parameters", None)
        for name, q in named() if callable(named) else []:
            if name == p:
                return q, q.label or name
        for q in params:
            if q.label == p:
                return q, p
        examples = ", ".join(repr(q.label) for q in params[:3])
        raise VizError(f"loss_surface(): the model has no parameter {excerpt(p)} (labels look like {examples})")
    raise VizError(f"loss_surface(): a parameter is a Value or a name, got {type(p).__name__}")


def loss_surface(
    model: Any,
    X: Any,
    y: Any,
    loss: Any,
    p1: Any,
    p2: Any,
    path: str | Path | None = None,
    span: float = 2.0,
    resolution: int = 31,
) -> Figure:
    """The error surface over two weights (the others fixed): a contour map and a 3-D surface.

    ``p1`` and ``p2`` are parameters of ``model`` given as Values, node labels ('L0.N0.w0') or
    ``named_parameters`` names. Each weight sweeps its current value ± ``span`` in ``resolution``
    steps; at every grid point the loss of the whole data set is computed in one lane batch under
    ``no_grad``. The current point is marked. The weights are restored afterwards (also on error).

    Example:
        >>> from nn import MLP, make_moons
        >>> X, y = make_moons(30, seed=0); model = MLP(2, [4, 1], seed=0)
        >>> w = model.layers[1].neurons[0].w[0].data
        >>> fig = loss_surface(model, X, y, "hinge", "L1.N0.w0", "L1.N0.w1", resolution=5)
        >>> fig.axes[0].get_xlabel(), model.layers[1].neurons[0].w[0].data == w  # restored
        ('L1.N0.w0', True)
    """
    from nn import losses as _losses
    from nn.train import _loss_name, _prepare_targets

    a, name1 = _parameter(model, p1)
    b, name2 = _parameter(model, p2)
    if a is b:
        raise VizError("loss_surface(): p1 and p2 are the same parameter")
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or not 2 <= resolution <= 400:
        raise VizError(f"loss_surface(): resolution must be an integer in [2, 400], got {excerpt(resolution)}")
    if isinstance(span, bool) or not isinstance(span, numbers.Real) or not 0 < span < math.inf:
        raise VizError(f"loss_surface(): span must be a positive number, got {excerpt(span)}")
    loss_fn = _losses.get(loss)
    arr = np.asarray(X, dtype=np.float64)
    t = _prepare_targets(y, _loss_name(loss), len(arr), "loss_surface()")
    a0, b0 = a.data, b.data
    with no_grad(), np.errstate(all="ignore"):
        here = float(loss_fn(model(arr), t, reduction="mean").data)  # the loss at the current weights
    u = np.linspace(a0 - span, a0 + span, resolution)
    v = np.linspace(b0 - span, b0 + span, resolution)
    surface = np.empty((resolution, resolution))
    try:
        with no_grad(), np.errstate(all="ignore"):
            for i, bv in enumerate(v):
                b.data = float(bv)
                for j, av in enumerate(u):
                    a.data = float(av)
                    surface[i, j] = float(loss_fn(model(arr), t, reduction="mean").data)
    finally:
        a.data, b.data = a0, b0
    U, V = np.meshgrid(u, v)
    fig = _figure(10.0, 4.4)
    ax = fig.add_subplot(1, 2, 1)
    cs = ax.contourf(U, V, surface, levels=20, cmap="viridis")
    ax.contour(U, V, surface, levels=20, colors="white", linewidths=0.3, alpha=0.6)
    fig.colorbar(cs, ax=ax, label="loss")
    ax.plot([a0], [b0], marker="*", color="#ff6b6b", markersize=14, markeredgecolor="black", label=f"now: {here:.4g}")
    ax.set_xlabel(name1)
    ax.set_ylabel(name2)
    ax.set_title("loss over two weights (others fixed)")
    ax.legend(loc="upper right", fontsize=8)
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    ax3.plot_surface(U, V, surface, cmap="viridis", linewidth=0, antialiased=True, alpha=0.9)
    ax3.scatter([a0], [b0], [here], color="#ff6b6b", s=40, edgecolors="black", depthshade=False)
    ax3.set_xlabel(name1, labelpad=6)
    ax3.set_ylabel(name2, labelpad=6)
    ax3.set_zlabel("loss", labelpad=2)
    ax3.set_box_aspect(None, zoom=0.85)  # room for the axis labels
    ax3.set_title("error surface")
    return _save(fig, path)


# --- gradient norms -----------------------------------------------------------------------------


class GradientNormRecorder:
    """A ``fit`` callback that records each layer's gradient norm after every epoch.

    The norms are those of the epoch's last mini-batch (what the optimizer just used). Pass the
    recorder to ``fit(..., callbacks=[recorder])`` and then to ``gradient_norms(recorder)``;
    ``recorder.norms`` is the list of per-epoch dicts {'L0': ..., 'L1': ...}.

    Example:
        >>> from nn import MLP, fit, make_moons
        >>> X, y = make_moons(20, seed=0); model = MLP(2, [4, 1], seed=0)
        >>> rec = GradientNormRecorder(model)
        >>> _ = fit(model, X, y, loss="hinge", epochs=3, batch_size=None, progress=False, callbacks=[rec])
        >>> len(rec.norms), sorted(rec.norms[0])
        (3, ['L0', 'L1'])
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.norms: list[dict[str, float]] = []

    def __call__(self, epoch: int, logs: Mapping[str, Any]) -> bool:
        """Record the norms; never stops training.

        Example:
            >>> from nn import MLP
            >>> rec = GradientNormRecorder(MLP(1, [1], seed=0)); rec(0, {}), rec.norms
            (False, [{'L0': 0.0}])
        """
        self.norms.append(layer_grad_norms(self.model))
        return False


def gradient_norms(source: Any, path: str | Path | None = None, log: bool = True) -> Figure:
    """Per-layer gradient norms: bars for a model's current gradients, lines over the epochs otherwise.

    ``log`` puts the per-epoch lines on a logarithmic axis (the bars are always linear).

    ``source``: a model (its parameters' current ``.grad``, e.g. right after ``backward()``), a
    ``History`` from ``fit`` (it records them every epoch), a ``GradientNormRecorder`` used as
    a ``fit`` callback, or a list of per-epoch dicts {layer name: norm}. Vanishing gradients
    show as lines falling towards 0 in early layers.

    Example:
        >>> fig = gradient_norms([{"L0": 0.5, "L1": 1.0}, {"L0": 0.2, "L1": 0.4}])
        >>> fig.axes[0].get_title()
        'gradient norm per layer'
    """
    from_fit = isinstance(source, GradientNormRecorder) or isinstance(getattr(source, "grad_norms", None), list)
    if isinstance(source, GradientNormRecorder):
        series = source.norms
    elif hasattr(source, "parameters") and callable(source.parameters):
        series = None
    elif isinstance(source, (list, tuple)) and all(isinstance(d, Mapping) for d in source):
        series = list(source)
    elif isinstance(getattr(source, "grad_norms", None), list):  # a History from fit
        series = source.grad_norms
        if not series:
            raise VizError("gradient_norms(): this History holds no epochs yet")
    else:
        raise VizError(
            f"gradient_norms() needs a model, a GradientNormRecorder or a list of dicts, got {type(source).__name__}"
        )
    if series is None:
        norms = layer_grad_norms(source)
        fig = _figure(max(4.8, 1.2 + 0.9 * len(norms)), 3.6)
        ax = fig.subplots()
        names = list(norms)
        values = [norms[n] for n in names]
        bars = ax.bar(names, values, color="#f76707")
        ax.bar_label(bars, labels=[f"{v:.3g}" for v in values], fontsize=8, padding=2)
        ax.set_xlabel("layer")
        ax.set_ylabel("‖grad‖₂")
        ax.set_title("gradient norm per layer (current grads)")
        ax.margins(y=0.12)
        ax.grid(True, axis="y", alpha=0.3)
        return _save(fig, path)
    if not series:
        raise VizError("gradient_norms(): nothing recorded yet (0 epochs)")
    names = list(dict.fromkeys(k for d in series for k in d))
    fig = _figure(5.8, 3.6)
    ax = fig.subplots()
    epochs = np.arange(1, len(series) + 1)
    positive = True
    for i, name in enumerate(names):
        values = np.array([float(d.get(name, np.nan)) for d in series])
        positive &= bool(np.all(values[np.isfinite(values)] > 0))
        ax.plot(epochs, values, lw=1.6, color=CLASS_COLORS[i % len(CLASS_COLORS)], label=name)
    if log and positive:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("‖grad‖₂" + (" (log scale)" if log and positive else ""))
    ax.set_title("gradient norm per layer" + (" (each epoch's last batch)" if from_fit else ""))
    ax.grid(True, alpha=0.3, which="both")
    ax.set_xlim(1, max(2, len(series)))
    ax.legend(fontsize=8, title="layer", title_fontsize=8)
    return _save(fig, path)
