"""viz: pictures of computational graphs, backprop step by step, and the ``backprop`` command.

- ``draw_dot(root)`` / ``render(root, "g.svg")`` / ``GraphView(root)``: the graph, every Value
  a record {label | data | grad}, every op a node (``viz.graph``).
- ``backprop_steps(root)`` / ``render_backprop(root, folder)``: one frame per backward step and
  an HTML page to click through them (``viz.steps``).
- ``parse_expr("tanh(x*w + b)")``: the safe expression parser of the command line (``viz.expr``).

Example:
    >>> from autograd_core import Value
    >>> from viz import draw_dot
    >>> a = (Value(2.0, label="x") * Value(-3.0, label="w")).tanh(); a.backward()
    >>> "tanh" in draw_dot(a).source
    True
"""

from .expr import ExprError, evaluate, parse_expr
from .graph import (
    GraphView,
    GraphvizNotFoundError,
    RenderError,
    Subgraph,
    VizError,
    draw_dot,
    find_node,
    render,
    subgraph_of,
)
from .steps import backprop_steps, render_backprop, trace_backward

__all__ = [
    "ExprError",
    "GraphView",
    "GraphvizNotFoundError",
    "RenderError",
    "Subgraph",
    "VizError",
    "backprop_steps",
    "draw_dot",
    "evaluate",
    "find_node",
    "parse_expr",
    "render",
    "render_backprop",
    "subgraph_of",
    "trace_backward",
]
