"""Backpropagation step by step: one picture per backward step, and an HTML page to click through.

How the frames are computed. ``trace_backward(root)`` first runs the engine's real
``backward()`` (the user's gradients are saved before and restored after, so nothing changes
for them). Then it replays the same pass step by step: the engine's order (topological order,
reversed) and the engine's own derivative rules (each node's row of the table, ``define_op``'s
ones included, through ``autograd_core.graph.local_shares``), accumulating the
shares exactly as ``backward()`` does. Frame k therefore shows the engine's state right after
step k: the node whose local derivative was just applied (highlighted), the shares it sent to
its inputs (on the highlighted edges), gradients that are final (every consumer has been
processed), gradients that are still partial sums, and blanks for nodes not reached yet. The
replayed final gradients are checked against the real pass; a disagreement raises ``VizError``.

There is one step per non-leaf node (leaves have no local derivative to apply).

Example:
    >>> from autograd_core import Value
    >>> x = Value(0.5, label="x"); w = Value(-1.0, label="w"); z = x * w; z.label = "z"
    >>> L = z.tanh(); L.label = "L"
    >>> for step in trace_backward(L):
    ...     print(step.caption)
    tanh: dL/dz = dL/dL · (1 − L²)
    dL/dz = 1.0000 · (1 − (-0.4621)²) = 0.7864
    *: dL/dx = dL/dz · w;  dL/dw = dL/dz · x
    dL/dx = 0.7864 · (-1.0000) = -0.7864;  dL/dw = 0.7864 · 0.5000 = 0.3932
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from autograd_core import Value, ops, topological_order
from autograd_core.closure import ClosureOp
from autograd_core.errors import excerpt, excerpt_path
from autograd_core.graph import local_shares

from .graph import (
    RenderError,
    Subgraph,
    VizError,
    _check_args,
    _const_text,
    _draw,
    _esc,
    _fmt_any,
    _raw,
    pipe,
)

__all__ = ["Step", "backprop_steps", "render_backprop", "trace_backward"]

MAX_STEPS = 400
CURRENT, UPDATED, PARTIAL, FINAL = "#f59f00", "#ffe066", "#fff9db", "#d3f9d8"
SHARE_COLOR = "#d9480f"

# Symbolic local rules for the captions: g is the upstream gradient (dL/d out), {out} the
# output, {a}/{b}/{x} the inputs. Same order as the rules in autograd_core.ops.
RULE_TEXT: dict[str, tuple[str, ...]] = {
    "+": ("g", "g"),
    "-": ("g", "−g"),
    "*": ("g · {b}", "g · {a}"),
    "/": ("g / {b}", "−g · {out} / {b}"),
    "**": ("g · {b} · {a}^({b} − 1)", "g · {out} · log({a})"),
    "neg": ("−g",),
    "exp": ("g · {out}",),
    "log": ("g / {a}",),
    "sqrt": ("g / (2 · {out})",),
    "tanh": ("g · (1 − {out}²)",),
    "sigmoid": ("g · {out} · (1 − {out})",),
    "softplus": ("g · sigmoid({a})",),
    "relu": ("g · [{a} > 0]",),
    "leaky_relu": ("g · (1 if {a} > 0 else {b})",),
    "abs": ("g · sign({a})",),
    "sin": ("g · cos({a})",),
    "cos": ("−g · sin({a})",),
    "max": ("g · [{a} > {b}] (½ on a tie)", "g · [{b} > {a}] (½ on a tie)"),
    "min": ("g · [{a} < {b}] (½ on a tie)", "g · [{b} < {a}] (½ on a tie)"),
    "lane_sum": ("g (copied to every lane)",),
    "lane_mean": ("g / {n} (in every lane)",),
}
VJP_TEXT = {
    "sum": "every input gets g",
    "mean": "every input gets g / n",
    "dot": "each weight gets g · its input, each input g · its weight",
    "logsumexp": "input i gets g · softmax_i",
}


@dataclass
class Step:
    """One backward step: ``node``'s local derivative applied, and the state right after it."""

    index: int
    node: Value
    caption: str
    shares: list[tuple[Value, Any]]  # (input, the share it received), in argument order
    grads: dict[Value, Any]  # every gradient reached so far (partial or final)
    finished: set[Value] = field(default_factory=set)  # nodes whose gradient is final


# --- names for the captions ---------------------------------------------------------------------


def _names(order: list[Value]) -> dict[Value, str]:
    """A short name per node: its label, or '#1', '#2', ... for unlabelled nodes (shown in the frames)."""
    names: dict[Value, str] = {}
    k = 0
    for v in order:
        if v.label:
            names[v] = v.label
        else:
            k += 1
            names[v] = f"#{k}"
    return names


# --- the replay ------------------------------------------------------------------------------------


def _real_backward(order: list[Value], root: Value, seed: float = 1.0) -> dict[Value, Any]:
    """Gradients of one real backward() from ``root``; every node's grad is restored afterwards."""
    saved = [v.grad for v in order]
    try:
        for v in order:
            v.grad = 0.0
        root.backward(seed)
        return {v: _raw(v.grad) for v in order}
    finally:
        for v, g in zip(order, saved, strict=True):
            v.grad = g


def _shares(node: Value, g: Any) -> list[tuple[Value, Any]]:
    """The engine's rule for ``node`` (built-in or define_op) applied to upstream ``g``: (input, share)."""
    return local_shares(node, g)


def trace_backward(root: Value, precision: int = 4, grad: float = 1.0, of: str | None = None) -> list[Step]:
    """The backward pass from ``root`` as a list of steps (see the module docstring).

    ``grad`` seeds the root's gradient (1 by default, as ``backward()``): pass dL/droot to show
    part of a larger graph, whose rest has already been back-propagated; ``of`` names the
    quantity differentiated in the captions (``"L"`` writes dL/dz; default: the root's label).

    Example:
        >>> from autograd_core import Value
        >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
        >>> steps = trace_backward(y); len(steps), steps[0].grads[x]
        (1, 6.0)
        >>> z = x.tanh(); z.label = "a"          # a neuron's output; dL/da = 0.5 from the rest
        >>> trace_backward(z, grad=0.5, of="L")[0].caption.splitlines()[0]
        'tanh: dL/dx = dL/da · (1 − a²)'
    """
    if not isinstance(root, Value):
        raise VizError(f"trace_backward() needs a Value, got {type(root).__name__}")
    if root.lanes is not None:
        raise VizError(f"the root has {root.lanes} lanes: reduce it to a scalar first with .sum() or .mean()")
    order = topological_order(root)
    inner = [v for v in order if not v.is_leaf]
    if len(inner) > MAX_STEPS:
        raise VizError(
            f"{len(inner)} backward steps is too many to show (at most {MAX_STEPS}); "
            "draw part of the graph, e.g. one neuron's output"
        )
    seed = float(grad)
    final = _real_backward(order, root, seed)
    names = _names(order)
    consumers: dict[Value, set[Value]] = {}
    for v in order:
        for p in v.parents:
            consumers.setdefault(p, set()).add(v)
    waiting = {v: len(consumers.get(v, ())) for v in order}
    grads: dict[Value, Any] = {root: seed}
    finished = {root}
    steps = []
    g_name = f"d{of or (names[root] if root.label else 'L')}"
    for node in reversed(order):
        if node.is_leaf:
            continue
        g = grads[node]
        shares = _shares(node, g)
        had = {p for p, _ in shares if p in grads}
        for p, share in shares:
            grads[p] = share if p not in grads else grads[p] + share
        for p in {p for p, _ in shares}:
            waiting[p] -= 1
            if waiting[p] == 0:
                finished.add(p)
        caption = _caption(node, g, shares, had, names, g_name, precision)
        steps.append(Step(len(steps), node, caption, shares, dict(grads), set(finished)))
    for v in order:
        mine, real = grads.get(v, 0.0), final[v]
        if not np.allclose(mine, real, rtol=1e-9, atol=1e-12, equal_nan=True):
            raise VizError(
                f"the replayed backward pass disagrees with the engine at node {excerpt(names[v])}: "
                f"{excerpt(mine)} vs {excerpt(real)}"
            )
    return steps


def _fill(template: str, g: str, values: dict[str, str]) -> str:
    """Put the upstream gradient (the leading g) and the operands into a rule's text, in one pass."""
    return re.sub(
        r"^(−?)g|\{(a|b|n|out)\}", lambda m: m.group(1) + g if m.group(2) is None else values[m.group(2)], template
    )


def _caption(
    node: Value,
    g: Any,
    shares: list[tuple[Value, Any]],
    had: set[Value],
    names: dict[Value, str],
    g_name: str,
    precision: int,
) -> str:
    """Two or more lines: the chain rule in symbols, then with the numbers filled in."""

    def fmt(x: Any) -> str:
        return _fmt_any(x, precision)

    out_name = names[node]
    up = f"{g_name}/d{out_name}"
    args = node.op_args

    def operand(x: Any) -> str:
        text = fmt(x)
        return f"({text})" if text.startswith("-") else text

    lanes = str(max((a.lanes or 1) for a in args if isinstance(a, Value)))
    symbols = {"out": out_name, "n": lanes}
    numbers = {"out": operand(node.data), "n": lanes}
    for key, a in zip("ab", args, strict=False):
        symbols[key] = names[a] if isinstance(a, Value) else _const_text(a, precision)
        numbers[key] = operand(a.data) if isinstance(a, Value) else _const_text(a, precision)
    sym_parts, num_parts = [], []
    hand_made = type(node._fn) is ClosureOp  # micrograd's Value(data, _children, _op): its own closure
    texts = None if hand_made else RULE_TEXT.get(node.op)
    value_args = [(i, a) for i, a in enumerate(args) if isinstance(a, Value)]
    seen = set(had)
    for (i, a), (_, share) in zip(value_args, shares, strict=False):
        eq = "+=" if a in seen else "="  # x * x: the second share adds to the first
        seen.add(a)
        target = f"{g_name}/d{names[a]}"
        if texts is not None:
            sym = _fill(texts[i], up, symbols)
            num = _fill(texts[i], fmt(g), numbers)
            sym_parts.append(f"{target} {eq} {sym}")
            num_parts.append(f"{target} {eq} {num} = {fmt(share)}")
        else:
            num_parts.append(f"{target} {eq} {fmt(share)}")
    if texts is None:
        kind = VJP_TEXT.get(node.op, "its define_op rule" if node.op not in ops.TABLE else "vector-Jacobian product")
        kind = "its _backward closure" if hand_made else kind
        head = f"{node.op}: {kind} (g = {up} = {fmt(g)})"
        shown = num_parts[:4] + ([f"… and {len(num_parts) - 4} more"] if len(num_parts) > 4 else [])
        lines = [head, ";  ".join(shown)]
    else:
        lines = [f"{node.op}: " + ";  ".join(sym_parts), ";  ".join(num_parts)]
    if type(node.data) is np.ndarray and any(type(a.data) is not np.ndarray for a, _ in shares):
        lines.append(f"(a scalar input of a {node.lanes}-lane node gets the sum over the lanes)")
    return "\n".join(lines)


# --- frames -----------------------------------------------------------------------------------------


def _grad_width(texts: list[str]) -> int:
    """A grad cell width (points) that fits the longest text, so the layout does not jump between frames."""
    return int(6.3 * max(len(t) for t in texts)) + 10


def _frames(
    root: Value, rankdir: str, precision: int, cluster: bool, grad: float = 1.0, of: str | None = None
) -> Iterator[tuple[Step, graphviz.Digraph]]:
    mode = _check_args(rankdir, precision, "grad", 10**9)
    steps = trace_backward(root, precision, grad, of)
    order = topological_order(root)
    names = _names(order)
    sub = Subgraph(root, order)
    total = len(steps)
    texts = {v: ["grad ?"] for v in order}
    for s in steps:
        for v, g in s.grads.items():
            texts[v].append(f"grad {_fmt_any(g, precision)} (partial)")
    widths = {v: _grad_width(t) for v, t in texts.items()}
    for s in steps:
        value_kw: dict[Value, dict[str, Any]] = {}
        updated = {p for p, _ in s.shares}
        for v in order:
            kw: dict[str, Any] = {"grad_width": widths[v]}
            if v in s.grads:
                done = v in s.finished
                kw["grad_text"] = f"grad {_esc(_fmt_any(s.grads[v], precision))}" + ("" if done else " (partial)")
                kw["grad_fill"] = UPDATED if v in updated else (FINAL if done else PARTIAL)
            else:
                kw["grad_text"] = '<FONT COLOR="#adb5bd">grad ?</FONT>'
                kw["grad_fill"] = None
            if v is s.node:
                kw["border"], kw["border_width"] = CURRENT, 3
            if not v.label:
                kw["label_text"] = f'<FONT COLOR="#868e96"><I>{_esc(names[v])}</I></FONT>'

            value_kw[v] = kw
        labels = [_fmt_any(share, precision) for _, share in s.shares]
        op_kw = {s.node: {"fillcolor": CURRENT, "penwidth": "2", "color": "#e67700"}}
        edge_kw = {
            s.node: {
                "color": SHARE_COLOR,
                "penwidth": "2.2",
                "fontcolor": SHARE_COLOR,
                "fontsize": "10",
                "dir": "back",
                "_labels": labels,
            }
        }
        label = _frame_label(s, total)
        dg = _draw(
            sub,
            rankdir=rankdir,
            show_data=True,
            show_grad=True,
            precision=precision,
            mode=mode,
            cluster=cluster,
            max_nodes=10**9,
            legend=False,
            value_kw=value_kw,
            op_kw=op_kw,
            edge_kw=edge_kw,
            graph_label=label,
        )
        yield s, dg


def _esc400(line: str) -> str:
    return _esc(line, 400)


def _frame_label(s: Step, total: int) -> str:
    """The caption (left) and the colour keys (right, stacked so they keep their natural width)."""
    head = f"<B>step {s.index + 1} of {total}</B>: applying the local derivative of the highlighted node"
    lines = "".join(f'<TR><TD ALIGN="LEFT">{line}</TD></TR>' for line in [head, *map(_esc400, s.caption.splitlines())])
    keys = "".join(
        f'<TR><TD BGCOLOR="{c}" ALIGN="LEFT">{t}</TD></TR>'
        for c, t in (
            (UPDATED, "just received a share"),
            (PARTIAL, "partial sum"),
            (FINAL, "final"),
            ("white", '<FONT COLOR="#adb5bd">not reached</FONT>'),
        )
    )
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
        f'<TD VALIGN="TOP"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{lines}</TABLE></TD>'
        f'<TD VALIGN="TOP"><TABLE BORDER="0" CELLBORDER="1" CELLSPACING="1" CELLPADDING="2">{keys}</TABLE></TD>'
        "</TR></TABLE>>"
    )


def backprop_steps(
    root: Value,
    rankdir: str = "LR",
    precision: int = 4,
    cluster: bool = True,
    grad: float = 1.0,
    of: str | None = None,
) -> Iterator[graphviz.Digraph]:
    """One ``graphviz.Digraph`` per backward step (see the module docstring for what each shows).

    ``grad`` and ``of``: the root's seed gradient and the name of what is differentiated, as in
    ``trace_backward``.

    Example:
        >>> from autograd_core import Value
        >>> x = Value(2.0, label="x"); a = (x * 3.0).tanh(); a.label = "a"
        >>> frames = list(backprop_steps(a)); len(frames)
        2
        >>> "step 1 of 2" in frames[0].source
        True
    """
    for _, dg in _frames(root, rankdir, precision, cluster, grad, of):
        yield dg


def _inline_svg(svg: str, k: int) -> str:
    """An SVG document as an inline element: no XML prolog, ids made unique per frame."""
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    return re.sub(r'\bid="', f'id="f{k}_', svg)


def render_backprop(
    root: Value,
    folder: str | Path,
    rankdir: str = "LR",
    precision: int = 4,
    cluster: bool = True,
    grad: float = 1.0,
    of: str | None = None,
) -> Path:
    """Write ``step_001.svg``, ``step_002.svg``, ... and ``index.html`` (frames inlined) to ``folder``.

    ``grad`` and ``of``: the root's seed gradient and the name of what is differentiated, as in
    ``trace_backward`` (to step through one neuron of a network with dL/da from the rest).

    The page steps through the frames with buttons and the arrow keys (Home/End for the first
    and last), with the chain-rule caption of each step. Returns the path of ``index.html``.
    Needs Graphviz's ``dot`` (``GraphvizNotFoundError`` says how to install it).

    Example:
        >>> import shutil, tempfile; from autograd_core import Value
        >>> a = (Value(2.0, label="x") * 3.0).tanh()
        >>> page = render_backprop(a, tempfile.mkdtemp()) if shutil.which("dot") else None
        >>> page is None or page.name == "index.html"
        True
    """
    folder = Path(folder)
    frames = [
        (s, f"step_{s.index + 1:03d}.svg", pipe(dg, "svg").decode())
        for s, dg in _frames(root, rankdir, precision, cluster, grad, of)
    ]
    try:  # every frame is drawn before anything is written: a missing dot leaves no half-done folder
        folder.mkdir(parents=True, exist_ok=True)
        for _, name, svg in frames:
            (folder / name).write_text(svg, encoding="utf-8")
    except OSError as err:
        raise RenderError(f"cannot write to {excerpt_path(folder, quote=True)}: {err.strerror or err}") from None
    page = folder / "index.html"
    try:
        page.write_text(_html(frames, root), encoding="utf-8")
    except OSError as err:
        raise RenderError(f"cannot write {excerpt_path(page, quote=True)}: {err.strerror or err}") from None
    return page


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Backpropagation step by step: {title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.2em; color: #212529; }}
#bar {{ position: sticky; top: 0; background: white; padding: .4em 0; border-bottom: 1px solid #dee2e6; }}
button {{ font-size: 1em; padding: .25em .8em; margin-right: .3em; cursor: pointer; }}
#counter {{ margin: 0 .8em; font-weight: bold; }}
.caption {{ font-family: DejaVu Sans Mono, Menlo, Consolas, monospace; background: #f8f9fa;
  border-left: 4px solid {current}; padding: .5em .8em; margin: .8em 0; white-space: pre-wrap; }}
.frame {{ display: none; }}
.frame.shown {{ display: block; }}
.frame svg {{ max-width: 100%; height: auto; }}
.hint {{ color: #868e96; font-size: .9em; }}
</style>
</head>
<body>
<h1>Backpropagation step by step</h1>
<p class="hint">Each step applies the chain rule at one node, in the engine's order (topological order reversed).
The gradient of the highlighted node is final; it sends a share to each of its inputs along the red edges.
Keys: &larr; / &rarr; previous / next, Home / End first / last, space play / pause.</p>
<div id="bar">
<button id="first" title="first (Home)">&#x25C0;&#x25C0; first</button>
<button id="prev" title="previous (&larr;)">&#x25C0; prev</button>
<span id="counter"></span>
<button id="next" title="next (&rarr;)">next &#x25B6;</button>
<button id="last" title="last (End)">last &#x25B6;&#x25B6;</button>
<button id="play" title="play / pause (space)">play</button>
</div>
{frames}
<script>
(function () {{
  var frames = document.querySelectorAll(".frame"), i = 0, timer = null;
  var counter = document.getElementById("counter"), play = document.getElementById("play");
  function show(k) {{
    i = Math.max(0, Math.min(frames.length - 1, k));
    frames.forEach(function (f, j) {{ f.classList.toggle("shown", j === i); }});
    counter.textContent = "step " + (i + 1) + " / " + frames.length;
  }}
  function toggle() {{
    if (timer) {{ clearInterval(timer); timer = null; play.textContent = "play"; return; }}
    if (i === frames.length - 1) show(0);
    play.textContent = "pause";
    timer = setInterval(function () {{ if (i >= frames.length - 1) toggle(); else show(i + 1); }}, 1500);
  }}
  document.getElementById("first").onclick = function () {{ show(0); }};
  document.getElementById("prev").onclick = function () {{ show(i - 1); }};
  document.getElementById("next").onclick = function () {{ show(i + 1); }};
  document.getElementById("last").onclick = function () {{ show(frames.length - 1); }};
  play.onclick = toggle;
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowRight" || e.key === "ArrowDown") show(i + 1);
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") show(i - 1);
    else if (e.key === "Home") show(0);
    else if (e.key === "End") show(frames.length - 1);
    else if (e.key === " ") toggle();
    else return;
    e.preventDefault();
  }});
  show(0);
}})();
</script>
</body>
</html>
"""


def _html(frames: list[tuple[Step, str, str]], root: Value) -> str:
    parts = []
    for k, (s, name, svg) in enumerate(frames):
        parts.append(
            f'<div class="frame" id="step{k + 1}" data-file="{html.escape(name)}">\n'
            f'<div class="caption">step {k + 1} of {len(frames)} — {html.escape(s.caption)}</div>\n'
            f"{_inline_svg(svg, k + 1)}\n</div>"
        )
    title = html.escape(root.label or root.op or "graph")
    return _PAGE.format(title=title, frames="\n".join(parts), current=CURRENT)
