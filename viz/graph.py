"""Graphviz pictures of a Value graph: every Value a record {label | data | grad}, every op a node.

``draw_dot(root)`` returns a ``graphviz.Digraph`` (no ``dot`` program needed to build it);
``render(root, "graph.svg")`` writes svg, png, pdf or dot by the file's extension;
``GraphView(root)`` shows the picture inline in Jupyter.

Colours tell parameters (scalar leaves), inputs (laned leaves, or leaves labelled ``x...``)
and intermediates apart; with ``color="grad"`` the grad cell is shaded by |grad| (legend at the
bottom), a gradient that is exactly zero everywhere (a dead relu, say) is violet and any NaN or
infinity is red. Nodes labelled like the nn package's ``L{layer}.N{neuron}.*`` are grouped per
neuron inside per-layer clusters; graphs larger than ``max_nodes`` collapse layers into summary
nodes.

Example:
    >>> from autograd_core import Value
    >>> x = Value(2.0, label="x"); w = Value(-3.0, label="w"); b = Value(6.88, label="b")
    >>> a = (x * w + b).tanh(); a.label = "a"; a.backward()
    >>> src = draw_dot(a).source
    >>> "tanh" in src and "grad -1.5029" in src
    True
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from autograd_core import AutogradError, Value, topological_order
from autograd_core.errors import excerpt, excerpt_path
from autograd_core.params import Parameter

from .layout import FULL_VIEW_MAX_OVERFLOW, choose_rankdir, estimate

__all__ = [
    "INSTALL_HINT",
    "GraphView",
    "GraphvizNotFoundError",
    "RenderError",
    "Subgraph",
    "VizError",
    "draw_dot",
    "find_node",
    "format_of",
    "node_kind",
    "pipe",
    "render",
    "subgraph_of",
]

INSTALL_HINT = (
    "install Graphviz's dot program: `sudo apt-get install graphviz` (Debian/Ubuntu) "
    "or `brew install graphviz` (macOS); writing a .dot file needs no dot program"
)
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
LAYER_LABEL = re.compile(r"^L(\d+)\.N(\d+)(?:\.|$)")
FONT = "Helvetica"

# Node kinds (label cell) and gradient shades (grad cell).
KIND_FILL = {"parameter": "#cfe2ff", "input": "#c8f0d4", "intermediate": "#eeeeee"}
KIND_BORDER = {"parameter": "#3366cc", "input": "#2e8b57", "intermediate": "#888888"}
GRAD_SHADES = ("#fff4e6", "#ffd8a8", "#ffa94d", "#f76707")  # |grad| relative to the largest: <1%, 1-10%, 10-50%, >=50%
GRAD_EDGES = (0.01, 0.1, 0.5)
ZERO_FILL, ZERO_BORDER = "#e5dbff", "#7048e8"
BAD_FILL, BAD_BORDER = "#ffc9c9", "#e03131"
EDGE_COLOR = "#555555"
SECOND_ARG = {"-": "−", "/": "÷", "**": "exponent"}  # edge label of the second input of a non-commutative op
OP_TEXT = {"neg": "−x", "lane_sum": "Σ lanes", "lane_mean": "mean lanes", "**": "**"}
COLOR_MODES = ("grad", "kind", "none")


class VizError(AutogradError):
    """Base class of the viz package's errors (a subclass of ``autograd_core.AutogradError``)."""


class GraphvizNotFoundError(VizError, RuntimeError):
    """Graphviz's ``dot`` program is not installed; the message says how to install it."""


class RenderError(VizError, ValueError):
    """A picture could not be written: unknown file extension, unwritable path, or dot failed."""


# --- what to draw ----------------------------------------------------------------------------


@dataclass
class Subgraph:
    """Part of a graph to draw: ``nodes`` (parents before children, ``root`` last); the nodes in
    ``cut`` have inputs that were left out (drawn with a '…' marker). Made by ``subgraph_of``.

    Example:
        >>> from autograd_core import Value
        >>> y = (Value(1.0, label="x") * 2.0).exp()
        >>> "… *" in draw_dot(subgraph_of(y, depth=1)).source
        True
    """

    root: Value
    nodes: list[Value]
    cut: set[Value] = field(default_factory=set)


def subgraph_of(node: Value, depth: int | None = None) -> Subgraph:
    """The ancestors of ``node`` (up to ``depth`` ops back; all of them when None), to draw.

    Example:
        >>> from autograd_core import Value
        >>> x = Value(1.0, label="x"); y = ((x * 2).exp() + 1).tanh()
        >>> s = subgraph_of(y, depth=1); len(s.nodes), [n.op for n in s.cut]
        (2, ['+'])
        >>> len(subgraph_of(y).nodes)
        5
    """
    if not isinstance(node, Value):
        raise VizError(f"subgraph_of() needs a Value, got {type(node).__name__}")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise VizError(f"subgraph_of(): depth must be a non-negative int or None, got {excerpt(depth)}")
    order = topological_order(node)
    if depth is None:
        return Subgraph(node, order)
    dist = {node: 0}
    for v in reversed(order):  # children before parents: shortest distance from node
        d = dist.get(v)
        if d is None or d >= depth:
            continue
        for p in v.parents:
            if p not in dist or dist[p] > d + 1:
                dist[p] = d + 1
    nodes = [v for v in order if v in dist]
    cut = {v for v in nodes if dist[v] == depth and v.parents}
    return Subgraph(node, nodes, cut)


def find_node(root: Value, label: str) -> Value:
    """The first node (in topological order) under ``root`` whose label is ``label``.

    Example:
        >>> from autograd_core import Value
        >>> z = Value(2.0, label="x") * 3; z.label = "z"; y = z.tanh()
        >>> find_node(y, "z") is z
        True
    """
    for v in topological_order(root):
        if v.label == label:
            return v
    raise VizError(f"no node labelled {excerpt(label)} in the graph of {excerpt(root)}")


def node_kind(v: Value, inputs: frozenset[Value] | None = None) -> str:
    """'parameter', 'input' or 'intermediate' (any node that is not a leaf).

    A leaf is an input when it is in ``inputs``; without ``inputs``, by a stated guess: a
    leaf with lanes (a batch) or a label starting with ``x`` is an input, a model's
    ``Parameter`` and every other leaf a parameter (the legend says so).

    Example:
        >>> from autograd_core import Value
        >>> node_kind(Value(1.0, label="w")), node_kind(Value(1.0, label="x1")), node_kind(Value([1.0, 2.0]))
        ('parameter', 'input', 'input')
        >>> t = Value(1.0, label="t"); node_kind(t, inputs=frozenset([t]))
        'input'
    """
    if not v.is_leaf:
        return "intermediate"
    if inputs is not None:
        return "input" if v in inputs else "parameter"
    if isinstance(v, Parameter):
        return "parameter"
    if v.lanes is not None or v.label.startswith("x"):
        return "input"
    return "parameter"


# --- numbers ---------------------------------------------------------------------------------


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x  # a grad may be a Value after create_graph=True


def _fmt(x: float, precision: int) -> str:
    x = float(x) + 0.0  # no '-0.0000'
    if not math.isfinite(x):
        return str(x)
    if x == 0 or 1e-3 <= abs(x) < 1e6:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}g}"


def _fmt_any(x: Any, precision: int, lanes_shown: int = 3) -> str:
    x = _raw(x)
    if type(x) is np.ndarray:
        shown = ", ".join(f"{v + 0.0:.{precision}g}" for v in x[:lanes_shown])
        return f"[{shown}{', …' if x.shape[0] > lanes_shown else ''}]"
    return _fmt(x, precision)


def _magnitude(g: Any) -> float:
    """|grad| of a node: the mean over lanes for a laned node (NaN when not finite)."""
    g = _raw(g)
    if type(g) is np.ndarray:
        return float(np.mean(np.abs(g))) if np.all(np.isfinite(g)) else math.nan
    return abs(float(g)) if math.isfinite(g) else math.nan


def _finite(x: Any) -> bool:
    return bool(np.all(np.isfinite(_raw(x))))


def _is_zero(x: Any) -> bool:
    return not np.any(_raw(x))


def _const_text(c: Any, precision: int) -> str:
    if type(c) is np.ndarray:
        return f"{_fmt_any(c, precision)} ({c.shape[0]} lanes)"
    if isinstance(c, (int, float)):
        short = repr(float(c) + 0.0)  # 2.0, 0.1, -0.5: as typed, when that is short
        return short if len(short) <= precision + 3 else _fmt(c, precision)
    return repr(c)


# --- pieces of labels ------------------------------------------------------------------------


def _esc(text: str, limit: int = 48) -> str:
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate becomes \\ud800
    return html.escape(text, quote=True)


def _esc_plain(text: str) -> str:
    """A plain (non-HTML) DOT label that encodes as UTF-8."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def _td(text: str, bgcolor: str | None = None, extra: str = "") -> str:
    bg = f' BGCOLOR="{bgcolor}"' if bgcolor else ""
    return f"<TD{bg}{extra}>{text}</TD>"


class _Shading:
    """Colours of grad cells: shade by |grad| relative to the largest, zero and non-finite marks."""

    def __init__(self, nodes: Iterable[Value], mode: str) -> None:
        self.mode = mode
        mags = [_magnitude(v.grad) for v in nodes]
        finite = [m for m in mags if m == m]
        self.has_grads = any(m != 0 for m in mags)  # no backward() yet: no zero marks
        self.gmax = max(finite, default=0.0)

    def grad_fill(self, g: Any) -> str | None:
        if self.mode == "none":
            return None
        if not _finite(g):
            return BAD_FILL
        if not self.has_grads:
            return None
        if _is_zero(g):
            return ZERO_FILL
        if self.mode != "grad" or self.gmax == 0:
            return None
        r = _magnitude(g) / self.gmax
        return GRAD_SHADES[sum(r >= e for e in GRAD_EDGES)]

    def thresholds(self) -> list[tuple[str, str]]:
        """(colour, text) pairs for the legend, largest first."""
        out = []
        edges = [*GRAD_EDGES, None]
        for i in range(len(GRAD_SHADES) - 1, -1, -1):
            lo = GRAD_EDGES[i - 1] * self.gmax if i > 0 else 0.0
            hi = edges[i]
            text = f"|grad| ≥ {lo:.3g}" if hi is None else (f"< {hi * self.gmax:.3g}" if i == 0 else f"≥ {lo:.3g}")
            out.append((GRAD_SHADES[i], text))
        return out


def _value_label(
    v: Value,
    *,
    rankdir: str,
    show_data: bool,
    show_grad: bool,
    precision: int,
    shading: _Shading,
    is_root: bool,
    grad_text: str | None = None,
    grad_fill: str | None = None,
    border: str | None = None,
    border_width: int | None = None,
    grad_width: int | None = None,
    label_text: str | None = None,
    kind: str | None = None,
    stacked: bool | None = None,
) -> str:
    """HTML label of a Value: a record of label, data and grad cells (in a row for LR)."""
    kind = kind or node_kind(v)
    color_on = shading.mode != "none"
    cells = []
    if label_text is not None:
        cells.append(_td(label_text, KIND_FILL[kind] if color_on else None))
    elif v.label:
        fill = KIND_FILL[kind] if color_on else None
        cells.append(_td(f"<B>{_esc(v.label)}</B>", fill))
    elif kind != "intermediate" and color_on:
        cells.append(_td(" ", KIND_FILL[kind]))
    bad = not _finite(v.data) or (show_grad and not _finite(v.grad))
    if show_data:
        text = f"data {_esc(_fmt_any(v.data, precision))}"
        if v.lanes is not None:
            text += f'<BR/><FONT POINT-SIZE="9">{v.lanes} lanes</FONT>'
        cells.append(_td(text, BAD_FILL if color_on and not _finite(v.data) else None))
    if show_grad:
        if grad_text is None:
            grad_text = f"grad {_esc(_fmt_any(v.grad, precision))}"
            if v.lanes is not None and show_data:
                grad_text += f'<BR/><FONT POINT-SIZE="9">mean |g| {_fmt(_magnitude(v.grad), 3)}</FONT>'
            grad_fill = shading.grad_fill(v.grad)
        width = f' WIDTH="{grad_width}"' if grad_width else ""
        cells.append(_td(grad_text, grad_fill, width))
    if not cells:
        cells.append(_td(_esc(v.op or "·")))
    if border is None:
        border = KIND_BORDER[kind] if color_on else "#333333"
        if color_on and bad:
            border = BAD_BORDER
        elif color_on and show_grad and shading.has_grads and _is_zero(v.grad):
            border = ZERO_BORDER
    width = border_width if border_width is not None else (2 if is_root or (color_on and bad) else 0)
    sep = "</TR><TR>" if (rankdir in ("TB", "BT") if stacked is None else stacked) else ""
    return (
        f'<<TABLE BORDER="{width}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" COLOR="{border}">'
        f"<TR>{sep.join(cells)}</TR></TABLE>>"
    )


def _op_label(v: Value, precision: int) -> str:
    """Text of an op node: its name, and the constants it takes in their places ('* 2.0', '1.0 -')."""
    op = v.op
    name = OP_TEXT.get(op, op)
    consts = [(i, a) for i, a in enumerate(v.op_args) if not isinstance(a, Value)]
    if not consts:
        return name
    args = v.op_args
    if len(args) == 2 and len(consts) == 1 and op not in ("leaky_relu",):
        i, c = consts[0]
        text = _const_text(c, precision)
        return f"{text} {name}" if i == 0 else f"{name} {text}"
    if len(args) == 2 and op == "leaky_relu":
        return f"{name}({_const_text(args[1], precision)})"
    return name  # many-input ops: the constants get a node of their own (_const_node)


def _const_node(v: Value, precision: int) -> dict[str, str] | None:
    """A small box listing the constants of a many-input op (dot's inputs, a sum's start), or None."""
    args = v.op_args
    if len(args) <= 2:
        return None
    consts = [c for c in args if not isinstance(c, Value)]
    if not consts:
        return None
    lines = [_const_text(c, precision) for c in consts[:6]]
    if len(consts) > 6:
        lines.append(f"… {len(consts) - 6} more")
    title = "constant" if len(consts) == 1 else f"{len(consts)} constants"
    return {
        "label": "\\l".join([title, *lines]) + "\\l",
        "shape": "box",
        "style": "rounded,dashed",
        "color": "#adb5bd",
        "fontcolor": "#495057",
        "fontsize": "9",
        "margin": "0.06,0.03",
    }


def _op_attrs(v: Value, precision: int) -> dict[str, str]:
    return {
        "label": _op_label(v, precision),
        "shape": "ellipse",
        "style": "filled",
        "fillcolor": "#fffbe6",
        "color": "#b08900",
        "fontsize": "11",
        "margin": "0.05,0.02",
        "height": "0.3",
    }


# --- clusters and collapsing -----------------------------------------------------------------


def _neuron_of(nodes: list[Value]) -> dict[Value, tuple[int, int]]:
    """(layer, neuron) of every node labelled L{l}.N{n}.*, and of the unlabelled intermediates
    whose every consumer belongs to one neuron (the partial sums inside a neuron)."""
    where: dict[Value, tuple[int, int]] = {}
    consumers: dict[Value, list[Value]] = {}
    for v in nodes:
        for p in v.parents:
            consumers.setdefault(p, []).append(v)
        m = LAYER_LABEL.match(v.label)
        if m:
            where[v] = (int(m.group(1)), int(m.group(2)))
    for v in reversed(nodes):
        if v in where or v.label or v.is_leaf:
            continue
        homes = {where.get(c) for c in consumers.get(v, ())}
        if len(homes) == 1 and None not in homes:
            where[v] = homes.pop()
    return where


def _depths(nodes: list[Value]) -> dict[Value, int]:
    inside = set(nodes)
    depth: dict[Value, int] = {}
    for v in nodes:
        depth[v] = 1 + max((depth[p] for p in v.parents if p in inside), default=-1)
    return depth


def _groups(nodes: list[Value], root: Value, where: dict[Value, tuple[int, int]], max_nodes: int) -> dict[Value, str]:
    """Group keys for a collapsed picture: one per layer; the rest in depth bands when still too many."""
    group = {v: f"layer {where[v][0]}" for v in nodes if v in where and v is not root}
    rest = [v for v in nodes if v not in group and v is not root]
    if rest and len(rest) + len(set(group.values())) + 1 > max_nodes:
        depth = _depths(nodes)
        lo, hi = min(depth[v] for v in rest), max(depth[v] for v in rest)
        bands = max(1, min(12, max_nodes // 4))
        width = max(1, math.ceil((hi - lo + 1) / bands))
        for v in rest:
            b = (depth[v] - lo) // width
            a0, a1 = lo + b * width, min(hi, lo + (b + 1) * width - 1)
            group[v] = f"depth {a0}" if a0 == a1 else f"depth {a0}-{a1}"
    return group


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _summary_label(
    key: str, members: list[Value], where: dict[Value, tuple[int, int]], precision: int, kinds: dict[Value, str]
) -> str:
    params = [v for v in members if kinds[v] == "parameter"]
    inputs = [v for v in members if kinds[v] == "input"]
    ops = Counter(v.op for v in members if v.op)
    neurons = {where[v] for v in members if v in where}
    rows = [f"<B>{_esc(key)}</B> (collapsed)"]
    count = _plural(len(members), "node")
    if neurons:
        count += ", " + _plural(len(neurons), "neuron")
    count += ", " + _plural(len(params), "parameter") + (", " + _plural(len(inputs), "input") if inputs else "")
    rows.append(count)
    if ops:
        rows.append("ops: " + ", ".join(f"{_esc(k)}×{n}" for k, n in ops.most_common(4)))

    def norm(vs: list[Value]) -> float:
        return math.sqrt(sum(float(np.sum(np.square(_raw(v.grad)))) for v in vs))

    if params:
        rows.append(f"‖grad‖ of parameters {_fmt(norm(params), precision)}")
    acts = [v for v in members if not v.is_leaf]
    if acts:
        rows.append(f"‖grad‖ of intermediates {_fmt(norm(acts), precision)}")
    dead = sum(1 for v in acts if _is_zero(v.grad))
    bad = sum(1 for v in members if not (_finite(v.data) and _finite(v.grad)))
    fill = None
    if bad:
        rows.append(f'<FONT COLOR="{BAD_BORDER}">{_plural(bad, "node")} with NaN or infinity</FONT>')
        fill = BAD_FILL
    if dead and any(not _is_zero(v.grad) for v in members):
        rows.append(f'<FONT COLOR="{ZERO_BORDER}">{_plural(dead, "intermediate")} with zero gradient</FONT>')
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    bg = f' BGCOLOR="{fill}"' if fill else ' BGCOLOR="#f8f9fa"'
    return f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3"{bg}>{body}</TABLE>>'


KIND_RULE = {  # how a leaf's kind was decided, as the legend states it
    False: {"parameter": "parameter: other leaf", "input": "input: leaf named x… or laned"},
    True: {"parameter": "parameter: other leaf", "input": "input: marked as input"},
}


def _legend(shading: _Shading, extra_rows: Iterable[str] = (), show_grad: bool = True, marked: bool = False) -> str:
    """HTML label for the bottom of the picture: node kinds (and how leaves were told apart),
    gradient shades and marks."""
    rule = {**KIND_RULE[marked], "intermediate": "intermediate"}
    kinds = "".join(
        _td(_esc(rule[name]), KIND_FILL[name], f' COLOR="{KIND_BORDER[name]}"')
        for name in ("parameter", "input", "intermediate")
    )
    kinds += _td("<B>output</B> (bold)", None) + _td("op", "#fffbe6")
    rows = [f"<TR>{kinds}</TR>"]
    if shading.mode == "grad" and show_grad:
        if shading.has_grads:
            cells = "".join(_td(_esc(text), color) for color, text in shading.thresholds())
            cells += _td("zero grad", ZERO_FILL) + _td("NaN / inf", BAD_FILL)
        else:
            cells = _td("no gradients yet: call backward()") + _td("NaN / inf", BAD_FILL)
        rows.append(f"<TR>{cells}</TR>")
    tables = "".join(
        f'<TR><TD BORDER="0"><TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="3">{r}</TABLE></TD></TR>'
        for r in rows
    )
    captions = "".join(f'<TR><TD BORDER="0" ALIGN="LEFT">{r}</TD></TR>' for r in extra_rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{captions}{tables}</TABLE>>'


# --- the picture ------------------------------------------------------------------------------


def _check_args(rankdir: str, precision: int, color: str | None, max_nodes: int) -> str:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise VizError(f"rankdir must be one of LR, TB, RL, BT, got {excerpt(rankdir)}")
    if not isinstance(precision, int) or not 0 <= precision <= 17:
        raise VizError(f"precision must be an int from 0 to 17, got {excerpt(precision)}")
    mode = "none" if color in (None, False) else color
    if mode not in COLOR_MODES:
        raise VizError(f"color must be one of {', '.join(COLOR_MODES)} or None, got {excerpt(color)}")
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise VizError(f"max_nodes must be a positive int, got {excerpt(max_nodes)}")
    return mode


def _new_digraph(rankdir: str) -> graphviz.Digraph:
    dg = graphviz.Digraph("autograd", format="svg")
    dg.attr(rankdir=rankdir, nodesep="0.25", ranksep="0.35", fontname=FONT, fontsize="11", bgcolor="white")
    dg.attr("node", shape="plain", fontname=FONT, fontsize="11")
    dg.attr("edge", color=EDGE_COLOR, arrowsize="0.6", fontname=FONT, fontsize="9")
    return dg


def _resolve(root: Value | Subgraph) -> Subgraph:
    if type(root) is Subgraph:
        return root
    if not isinstance(root, Value):
        raise VizError(f"draw_dot() needs a Value or a Subgraph, got {type(root).__name__}")
    return Subgraph(root, topological_order(root))


VIEWS = ("auto", "network", "full")


def draw_dot(
    root: Value | Subgraph,
    rankdir: str = "auto",
    show_data: bool = True,
    show_grad: bool = True,
    precision: int = 4,
    color: str | None = "grad",
    cluster: bool = True,
    max_nodes: int = 500,
    legend: bool = True,
    inputs: Iterable[Value | str] | None = None,
    view: str = "auto",
    expand: str | None = None,
) -> graphviz.Digraph:
    """A ``graphviz.Digraph`` of ``root`` and everything it was computed from.

    The defaults choose the picture by the size it will have on a screen (``viz.layout``):

    - ``view="auto"``: every node while the picture needs at most 1.5 screens (or has one
      neuron at most);
      a bigger picture of an ``nn`` network (nodes labelled ``L{layer}.N{neuron}.*``) becomes
      the network view. ``view="network"``: each layer is one block (counts, ops, gradient
      norms) and one neuron, ``expand`` ('L0.N3'; default: the first layer's neuron with the
      largest |grad| of its z), is drawn in full. ``view="full"``: every node, on request.
    - ``rankdir="auto"``: left to right while that fits a screen, else top to bottom when that
      needs fewer screens (with each record's cells side by side or stacked, whichever fits
      better; an explicit 'TB' stacks them).

    Parameters:
        root: a Value, or a ``Subgraph`` from ``subgraph_of(node, depth)``.
        rankdir: 'auto', 'LR' (inputs on the left) or 'TB' (inputs on top); also 'RL', 'BT'.
        show_data, show_grad: which cells the Value records show.
        precision: digits after the point.
        color: 'grad' (kinds, |grad| shades, zero and NaN marks, legend), 'kind' (node kinds
            only) or 'none'/None (black and white).
        cluster: group nodes labelled ``L{layer}.N{neuron}.*`` per neuron inside layer clusters.
        max_nodes: above this many Values, layers (and, if still too many, depth bands) are
            collapsed into summary nodes with counts and gradient norms.
        legend: show the legend at the bottom (when coloured).
        inputs: the leaves to draw as inputs (Values, or their labels); every other leaf is then
            a parameter. Without it a leaf named ``x…`` or with lanes is an input (see
            ``node_kind``); the legend states which rule was used.
        view, expand: 'auto', 'network' or 'full', and the neuron the network view expands.

    Returns:
        a ``graphviz.Digraph``; ``.source`` is the DOT text, ``render``/``pipe`` need ``dot``.

    Example:
        >>> from autograd_core import Value
        >>> x = Value(3.0, label="x"); y = x * 2.0; y.label = "y"; y.backward()
        >>> src = draw_dot(y).source
        >>> "* 2.0" in src and "data 6.0000" in src and "grad 2.0000" in src
        True
    """
    if view not in VIEWS:
        raise VizError(f"view must be one of {', '.join(VIEWS)}, got {excerpt(view)}")
    mode = _check_args("LR" if rankdir == "auto" else rankdir, precision, color, max_nodes)
    sub = _resolve(root)
    group, expanded = _view_groups(sub, view, expand, max_nodes)
    stacked = None  # a record's cells: stacked for TB, side by side for LR, unless auto chose
    if rankdir == "auto":
        rankdir, stacked = choose_rankdir(sub.nodes, group)
    return _draw(
        sub,
        rankdir=rankdir,
        show_data=show_data,
        show_grad=show_grad,
        precision=precision,
        mode=mode,
        cluster=cluster,
        max_nodes=max_nodes,
        legend=legend,
        inputs=_marked(root, inputs),
        group=group,
        expanded=expanded,
        stacked=stacked,
    )


def _view_groups(sub: Subgraph, view: str, expand: str | None, max_nodes: int) -> tuple[dict[Value, str], str | None]:
    """Which Values collapse into which block ({} for every node, layers for the network view),
    and the neuron the network view expands (None for the other views)."""
    nodes, root = sub.nodes, sub.root
    where = _neuron_of(nodes)
    neurons = set(where.values())
    full = _groups(nodes, root, where, max_nodes) if len(nodes) > max_nodes else {}
    if view == "full" or (view == "auto" and len(neurons) < 2):
        return full, None
    if view == "auto":
        best = min((estimate(nodes, full, d) for d in ("LR", "TB")), key=lambda size: size.overflow)
        if best.overflow <= FULL_VIEW_MAX_OVERFLOW:
            return full, None
    if not neurons:
        if view == "network":
            raise VizError("view='network' needs an nn network's nodes (labelled L{layer}.N{neuron}.*)")
        return full, None
    chosen = _expanded(nodes, where, expand)
    group = {v: f"layer {where[v][0]}" for v in nodes if v in where and where[v] != chosen and v is not root}
    return group, f"L{chosen[0]}.N{chosen[1]}"


def _expanded(nodes: list[Value], where: dict[Value, tuple[int, int]], expand: str | None) -> tuple[int, int]:
    """The neuron the network view draws in full: ``expand``, else the first layer's busiest."""
    neurons = set(where.values())
    if expand is not None:
        m = LAYER_LABEL.match(str(expand) + ".")
        if not m or (int(m.group(1)), int(m.group(2))) not in neurons:
            names = ", ".join(f"L{a}.N{b}" for a, b in sorted(neurons)[:4])
            raise VizError(f"expand: no neuron {excerpt(str(expand)[:20])} in this network (neurons are {names}, ...)")
        return int(m.group(1)), int(m.group(2))
    first = min(layer for layer, _ in neurons)
    zs = [v for v in nodes if where.get(v, (None,))[0] == first and v.label.endswith(".z")]
    if not zs:
        return min(n for n in neurons if n[0] == first)
    busiest = max(zs, key=lambda v: float(np.max(np.abs(_raw(v.grad)))) if _finite(v.grad) else -1.0)
    return where[busiest]


def _marked(root: Value | Subgraph, inputs: Iterable[Value | str] | None) -> frozenset[Value] | None:
    """The leaves named or given in ``inputs``; a label that matches no leaf is an error."""
    if inputs is None:
        return None
    leaves = [v for v in _resolve(root).nodes if v.is_leaf]
    wanted = list(inputs)
    labels = {w for w in wanted if isinstance(w, str)}
    unknown = sorted(labels - {v.label for v in leaves})
    if unknown:
        more = f" and {len(unknown) - 3:,} more" if len(unknown) > 3 else ""
        shown = ", ".join(excerpt(label, 60) for label in unknown[:3])
        raise VizError(f"inputs: no leaf labelled {shown}{more} in the graph")
    given = {id(w) for w in wanted if isinstance(w, Value)}
    return frozenset(v for v in leaves if v.label in labels or id(v) in given)


def node_ids(nodes: Sequence[Value]) -> dict[Value, str]:
    """The DOT names ``draw_dot`` gives to Values (an op's node is the same name + "op").

    Example:
        >>> from autograd_core import Value
        >>> list(node_ids([Value(1.0), Value(2.0)]).values())
        ['n0', 'n1']
    """
    return {v: f"n{i}" for i, v in enumerate(nodes)}


def _draw(
    sub: Subgraph,
    *,
    rankdir: str,
    show_data: bool,
    show_grad: bool,
    precision: int,
    mode: str,
    cluster: bool,
    max_nodes: int,
    legend: bool,
    value_kw: dict[Value, dict[str, Any]] | None = None,
    op_kw: dict[Value, dict[str, str]] | None = None,
    edge_kw: dict[Value, dict[str, str]] | None = None,
    graph_label: str | None = None,
    inputs: frozenset[Value] | None = None,
    group: dict[Value, str] | None = None,
    expanded: str | None = None,
    stacked: bool | None = None,
) -> graphviz.Digraph:
    """draw_dot's body; the overrides restyle single Values, op nodes and the edges into an op
    (used by the step-by-step frames)."""
    value_kw, op_kw, edge_kw = value_kw or {}, op_kw or {}, edge_kw or {}
    nodes, top = sub.nodes, sub.root
    dg = _new_digraph(rankdir)
    shading = _Shading(nodes, mode)
    where = _neuron_of(nodes) if cluster or len(nodes) > max_nodes or expanded else {}
    if expanded:  # the network view's output stands on its own, beside its layer's block
        where.pop(top, None)
    if group is None:
        group = _groups(nodes, top, where, max_nodes) if len(nodes) > max_nodes else {}

    ids = node_ids(nodes)
    kinds = {v: node_kind(v, inputs) for v in nodes}
    inside = set(nodes)
    # Where each node statement goes: the main graph, or a neuron cluster.
    bodies: dict[tuple[int, int] | None, list[tuple[str, dict[str, str]]]] = {None: []}

    def put(v: Value, name: str, attrs: dict[str, str]) -> None:
        key = where.get(v) if cluster and v not in group else None
        bodies.setdefault(key, []).append((name, attrs))

    members: dict[str, list[Value]] = {}
    for v in nodes:
        if v in group:
            members.setdefault(group[v], []).append(v)
    gids = {key: f"g{i}" for i, key in enumerate(members)}
    for key, vs in members.items():
        bodies[None].append((gids[key], {"label": _summary_label(key, vs, where, precision, kinds), "shape": "plain"}))

    # (tail, head) -> list of edge attribute dicts, one per use (x * x draws two edges).
    edges: dict[tuple[str, str], list[dict[str, str]]] = {}
    for v in nodes:
        if v in group:
            continue
        label = _value_label(
            v,
            rankdir=rankdir,
            show_data=show_data,
            show_grad=show_grad,
            precision=precision,
            shading=shading,
            is_root=v is top,
            kind=kinds[v],
            stacked=stacked,
            **value_kw.get(v, {}),
        )
        put(v, ids[v], {"label": label})
        if v.is_leaf:
            continue
        op_id = ids[v] + "op"
        if v in sub.cut:
            put(v, op_id, {**_op_attrs(v, precision), "label": f"… {_op_label(v, precision)}", "style": "dashed"})
            edges.setdefault((op_id, ids[v]), []).append({})
            continue
        put(v, op_id, {**_op_attrs(v, precision), **op_kw.get(v, {})})
        const = _const_node(v, precision)
        if const is not None:
            put(v, op_id + "c", const)
            edges.setdefault((op_id + "c", op_id), []).append(
                {"style": "dashed", "color": "#adb5bd", "arrowsize": "0.4"}
            )
        edges.setdefault((op_id, ids[v]), []).append({})
        values = [a for a in v.op_args if isinstance(a, Value)]
        for i, p in enumerate(values):
            if p not in inside:
                continue
            attrs = dict(edge_kw.get(v, {}))
            labels = attrs.pop("_labels", None)
            if labels and i < len(labels):
                attrs["label"] = labels[i]
            mark = SECOND_ARG.get(v.op, "") if i == 1 and len(v.op_args) == 2 else ""
            if mark:
                attrs["label"] = mark + (f"  {attrs['label']}" if "label" in attrs else "")
            if p in group:
                key = (gids[group[p]], op_id)
                if key in edges:
                    edges[key][0]["_n"] = str(int(edges[key][0].get("_n", "1")) + 1)
                    continue
            edges.setdefault((gids[group[p]] if p in group else ids[p], op_id), []).append(attrs)
    for v in nodes:  # edges between collapsed groups, and into them
        if v not in group:
            continue
        for p in v.parents:
            if p in inside:
                tail = gids[group[p]] if p in group else ids[p]
                key = (tail, gids[group[v]])
                if tail == key[1]:
                    continue
                if key in edges:
                    edges[key][0]["_n"] = str(int(edges[key][0].get("_n", "1")) + 1)
                else:
                    edges[key] = [{}]

    for name, attrs in bodies[None]:
        dg.node(name, **{k: a for k, a in attrs.items() if not k.startswith("_")})
    if cluster:
        layers = sorted({k[0] for k in bodies if k is not None})
        for layer in layers:
            lg = graphviz.Digraph(name=f"cluster_L{layer}")
            lg.attr(label=f"layer {layer}", style="rounded,filled", fillcolor="#f8f9fa", color="#adb5bd")
            lg.attr(fontname=FONT, fontsize="12", labeljust="l")
            for key in sorted(k for k in bodies if k is not None and k[0] == layer):
                ng = graphviz.Digraph(name=f"cluster_L{layer}_N{key[1]}")
                ng.attr(label=f"L{layer}.N{key[1]}", style="rounded,dashed", color="#868e96", fontsize="10")
                for name, attrs in bodies[key]:
                    ng.node(name, **{k: a for k, a in attrs.items() if not k.startswith("_")})
                lg.subgraph(ng)
            dg.subgraph(lg)
    for (tail, head), uses in edges.items():
        for attrs in uses:
            n = attrs.pop("_n", None)
            if n:
                attrs["label"] = f"{n} edges"
            dg.edge(tail, head, **attrs)
    if graph_label is not None:
        dg.attr(label=_esc_plain(graph_label), labelloc="t", labeljust="l")
    elif legend and mode != "none":
        notes = []
        if expanded:
            notes.append(
                f"network view of {len(nodes)} nodes: each layer one block, neuron {expanded} in full "
                "(view='full' draws every node, expand='L1.N0' another neuron)"
            )
        elif group:
            notes.append(f"{len(nodes)} nodes &gt; max_nodes={max_nodes}: {len(members)} groups collapsed")
        dg.attr(label=_legend(shading, notes, show_grad, inputs is not None), labelloc="b", labeljust="l")
    return dg


# --- output ------------------------------------------------------------------------------------


def pipe(dg: graphviz.Digraph, fmt: str) -> bytes:
    """Run Graphviz's ``dot`` on ``dg`` and return the picture's bytes ('svg', 'png', 'pdf' ...).

    Raises ``GraphvizNotFoundError`` (with install instructions) when ``dot`` is missing.

    Example:
        >>> import shutil; from autograd_core import Value
        >>> svg = pipe(draw_dot(Value(1.0, label="x")), "svg") if shutil.which("dot") else b"<svg"
        >>> b"<svg" in svg
        True
    """
    try:
        return dg.pipe(format=fmt, quiet=True)  # dot's own stderr never reaches the user: the error says it
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(f"Graphviz's dot program was not found; {INSTALL_HINT}") from None
    except graphviz.CalledProcessError as err:
        detail = (err.stderr or b"").decode(errors="replace").strip().splitlines()
        last = detail[-1] if detail else str(err)
        raise RenderError(f"dot failed to draw the graph: {excerpt(last)[1:-1]}") from None


def _write(path: Path, data: bytes) -> None:
    from nn.files import atomic_write

    try:
        atomic_write(path, data, "picture", RenderError)
    except OSError as err:
        raise RenderError(f"cannot write {excerpt_path(path, quote=True)}: {err.strerror or err}") from None


def format_of(path: str | Path) -> str:
    """The output format for a file name: 'svg', 'png', 'pdf' or 'dot' (from the extension).

    Example:
        >>> format_of("out/neuron.SVG"), format_of("g.dot")
        ('svg', 'dot')
    """
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise RenderError(
            f"cannot tell the picture format from {excerpt_path(path, quote=True)}: "
            "use a .svg, .png, .pdf or .dot file name"
        )
    return FORMATS[ext]


def render(root: Value | Subgraph, path: str | Path, **draw_kw: Any) -> Path:
    """Draw ``root`` and write the picture to ``path``: svg, png, pdf or dot by its extension.

    ``.dot`` writes the DOT source and needs no ``dot`` program; the others raise
    ``GraphvizNotFoundError`` with install instructions when it is missing.

    Example:
        >>> import tempfile, os; from autograd_core import Value
        >>> y = Value(2.0, label="x").tanh(); y.backward()
        >>> out = render(y, os.path.join(tempfile.mkdtemp(), "y.dot"))
        >>> "tanh" in out.read_text()
        True
    """
    path = Path(path)
    fmt = format_of(path)  # a bad extension fails before any drawing
    write_picture(draw_dot(root, **draw_kw), path, fmt)
    return path


def write_picture(dg: graphviz.Digraph, path: Path, fmt: str) -> None:
    """Write ``dg`` as ``fmt``: DOT source as it is (no Graphviz needed), else rendered by ``dot``.

    Example:
        >>> import os, tempfile
        >>> from autograd_core import Value
        >>> path = Path(tempfile.mkdtemp()) / "g.dot"; write_picture(draw_dot(Value(1.0) * 2), path, "dot")
        >>> path.read_text().startswith("digraph")
        True
    """
    _write(path, dg.source.encode() if fmt == "dot" else pipe(dg, fmt))


class GraphView:
    """Jupyter display of a graph: ``GraphView(root, rankdir="TB")`` as the last line of a cell.

    It takes draw_dot's options, whose defaults size the picture for a screen, so the SVG a
    notebook stores stays small: micrograd's 2-16-16-1 network on one sample is about 21 KB
    (the tests hold it under 100 KB), where ``view="full"`` gives about 730 KB.

    Example:
        >>> from autograd_core import Value
        >>> view = GraphView(Value(1.0, label="x") * 2.0)
        >>> "* 2.0" in view.source
        True
    """

    def __init__(self, root: Value | Subgraph, **draw_kw: Any) -> None:
        self.root = root
        self.draw_kw = draw_kw

    @property
    def digraph(self) -> graphviz.Digraph:
        """The ``graphviz.Digraph`` (drawn afresh, so it shows the current data and grads)."""
        return draw_dot(self.root, **self.draw_kw)

    @property
    def source(self) -> str:
        """The DOT source."""
        return self.digraph.source

    def _repr_svg_(self) -> str:
        return pipe(self.digraph, "svg").decode()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        try:
            return {"image/svg+xml": self._repr_svg_()}
        except GraphvizNotFoundError as err:
            return {"text/plain": str(err)}

    def __repr__(self) -> str:
        return f"GraphView({self.root!r:.80})"
