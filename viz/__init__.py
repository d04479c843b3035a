"""viz: pictures of computational graphs, backprop step by step, and the ``backprop`` command.

- ``draw_dot(root)`` / ``render(root, "g.svg")`` / ``GraphView(root)``: the graph, every Value
  a record {label | data | grad}, every op a node (``viz.graph``).
- ``backprop_steps(root)`` / ``render_backprop(root, folder)``: one frame per backward step and
  an HTML page to click through them (``viz.steps``).
- ``neuron_view(model, x, target)``: one neuron of a trained network on one sample, with its
  loss, every gradient real (``viz.neuron``).
- ``loss_curve``, ``decision_boundary``, ``activations``, ``loss_surface``, ``gradient_norms``:
  matplotlib figures (``viz.plots``; the optional extra ``pip install 'autograd-core[plot]'``).
- ``parse_expr("tanh(x*w + b)")``: the safe expression parser of the command line (``viz.expr``).

Example:
    >>> from autograd_core import Value
    >>> from viz import draw_dot
    >>> a = (Value(2.0, label="x") * Value(-3.0, label="w")).tanh(); a.backward()
    >>> "tanh" in draw_dot(a).source
    True
"""

from .conv_view import FilterNeuron, filter_grid, filter_neuron
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
from .neuron import NeuronView, neuron_view
from .plots import (
    GradientNormRecorder,
    PlotDependencyError,
    activations,
    decision_boundary,
    gradient_norms,
    layer_grad_norms,
    loss_curve,
    loss_surface,
)
from .steps import backprop_steps, render_backprop, trace_backward

__all__ = [
    "ExprError",
    "FilterNeuron",
    "GradientNormRecorder",
    "GraphView",
    "GraphvizNotFoundError",
    "NeuronView",
    "PlotDependencyError",
    "RenderError",
    "Subgraph",
    "VizError",
    "activations",
    "backprop_steps",
    "decision_boundary",
    "draw_dot",
    "evaluate",
    "filter_grid",
    "filter_neuron",
    "find_node",
    "gradient_norms",
    "layer_grad_norms",
    "loss_curve",
    "loss_surface",
    "neuron_view",
    "parse_expr",
    "render",
    "render_backprop",
    "subgraph_of",
    "trace_backward",
]
