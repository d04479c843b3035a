"""viz.graph: DOT content of known graphs, and real rendering with Graphviz's dot."""

from __future__ import annotations

import math
import random
import re
import shutil

import numpy as np
import pytest

from autograd_core import AutogradError, Value, dot
from viz import graph as vg
from viz.graph import (
    GraphView,
    GraphvizNotFoundError,
    RenderError,
    VizError,
    draw_dot,
    find_node,
    node_kind,
    render,
    subgraph_of,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def neuron() -> tuple[Value, dict[str, Value]]:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.8813735870195432, label="b")
    z = x * w + b
    z.label = "z"
    a = z.tanh()
    a.label = "a"
    a.backward()
    return a, {"x": x, "w": w, "b": b, "z": z}


def mlp_2_4_1(seed: int = 1, dead: bool = True) -> Value:
    """A 2-4-1 network built by hand with the nn package's labels; neuron L0.N2 is dead (relu)."""
    rng = random.Random(seed)
    acts: list[Value] = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    for layer, (nin, nout) in enumerate(((2, 4), (4, 1))):
        new = []
        for n in range(nout):
            ws = [Value(rng.uniform(-1, 1), label=f"L{layer}.N{n}.w{i}") for i in range(nin)]
            b = Value(-5.0 if dead and (layer, n) == (0, 2) else 0.1, label=f"L{layer}.N{n}.b")
            z = sum((w * a for w, a in zip(ws, acts, strict=True)), b)
            z.label = f"L{layer}.N{n}.z"
            a = z.relu() if layer == 0 else z.tanh()
            a.label = f"L{layer}.N{n}.a"
            new.append(a)
        acts = new
    loss = (acts[0] - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return loss


def node_line(src: str, text: str) -> str:
    """The DOT statement whose label contains ``text``."""
    for line in src.splitlines():
        if text in line:
            return line
    raise AssertionError(f"{text!r} not in the DOT source")


# --- content -----------------------------------------------------------------------------------


def test_neuron_records_show_label_data_and_grad():
    a, v = neuron()
    src = draw_dot(a).source
    for label in ("x", "w", "b", "z", "a"):
        assert f"<B>{label}</B>" in src
    assert "data 2.0000" in src and "data -3.0000" in src and "data 0.7071" in src
    assert f"grad {v['x'].grad:.4f}" in src and f"grad {v['w'].grad:.4f}" in src
    assert "grad 1.0000" in src  # the root
    # One op node per op, between its inputs and output: x -> * -> (x*w) -> + -> z -> tanh -> a.
    assert src.count("shape=ellipse") == 3
    assert re.search(r"n\d+op \[label=tanh", src) and re.search(r'label="\*"', src)


def test_edges_run_inputs_to_op_to_output():
    x = Value(1.0, label="x")
    y = x.exp()
    y.label = "y"
    src = draw_dot(y).source
    assert "\tn0 -> n1op" in src and "\tn1op -> n1" in src


def test_op_nodes_show_their_constants_in_place():
    x = Value(3.0, label="x")
    src = draw_dot((x * 2.0 + (1.0 - x)) ** 2 + x.leaky_relu(0.1)).source
    assert 'label="* 2.0"' in src
    assert 'label="1.0 -"' in src
    assert 'label="** 2.0"' in src
    assert 'label="leaky_relu(0.1)"' in src


def test_many_input_op_lists_its_constants():
    w = [Value(0.5, label="w0"), Value(-1.0, label="w1")]
    src = draw_dot(dot(w, [2.0, 3.0])).source
    assert "label=dot" in src and r'label="2 constants\l2.0\l3.0\l"' in src


def test_laned_constants_and_values_show_lane_count_and_a_few_values():
    x = Value(np.arange(6.0), label="xs")
    y = (x * 2.0 + np.ones(6)).sum()
    y.backward()
    src = draw_dot(y).source
    assert "6 lanes" in src
    assert "data [0, 1, 2, …]" in src
    assert "(6 lanes)" in src  # the constant array of the + op
    assert "grad [2, 2, 2, …]" in src


def test_repeated_input_draws_one_edge_per_use():
    x = Value(3.0, label="x")
    y = x * x
    assert draw_dot(y).source.count("n0 -> n1op") == 2


def test_second_input_of_non_commutative_ops_is_marked():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    src = draw_dot(a / b - a).source
    assert 'label="÷"' in src and 'label="−"' in src


def test_node_kinds_are_coloured_apart():
    a, v = neuron()
    src = draw_dot(a).source
    assert node_kind(v["x"]) == "input" and node_kind(v["w"]) == "parameter" and node_kind(v["z"]) == "intermediate"
    assert node_kind(Value(np.ones(3))) == "input"
    assert vg.KIND_FILL["input"] in node_line(src, "<B>x</B>")
    assert vg.KIND_FILL["parameter"] in node_line(src, "<B>w</B>")
    assert vg.KIND_FILL["intermediate"] in node_line(src, "<B>z</B>")


def test_grad_shading_and_legend():
    a, v = neuron()
    src = draw_dot(a, color="grad").source
    biggest = max(("x", "w", "b"), key=lambda n: abs(v[n].grad))
    assert vg.GRAD_SHADES[-1] in node_line(src, f"<B>{biggest}</B>")
    assert "|grad| ≥" in src and "zero grad" in src and "NaN / inf" in src  # the legend
    kind_only = draw_dot(a, color="kind").source
    assert not any(shade in kind_only for shade in vg.GRAD_SHADES)
    plain = draw_dot(a, color=None).source
    assert "BGCOLOR" not in plain and "|grad|" not in plain


def test_zero_gradient_of_a_dead_relu_is_marked():
    w = Value(-2.0, label="w")
    z = w * 3.0
    z.label = "z"
    a = z.relu()
    a.label = "a"
    a.backward()
    src = draw_dot(a).source
    assert vg.ZERO_FILL in node_line(src, "<B>z</B>") and vg.ZERO_BORDER in node_line(src, "<B>z</B>")
    assert vg.ZERO_FILL not in node_line(src, "<B>a</B>")


def test_no_zero_marks_before_backward():
    x = Value(-1.0, label="x")
    src = draw_dot(x.relu()).source
    assert vg.ZERO_FILL not in src.replace("zero grad", "")
    assert "no gradients yet" in src


def test_non_finite_values_and_grads_stand_out():
    x = Value(float("inf"), label="x")
    y = x * 0.0  # nan
    y.label = "y"
    src = draw_dot(y).source
    assert vg.BAD_FILL in node_line(src, "<B>y</B>") and vg.BAD_BORDER in node_line(src, "<B>y</B>")
    assert "data nan" in src and "data inf" in src


def test_grads_recorded_as_values_are_drawn():
    x = Value(2.0, label="x")
    (x**3).backward(create_graph=True)
    assert "grad 12.0000" in draw_dot(x**3).source or "grad 12.0000" in draw_dot(x).source


def test_rankdir_tb_stacks_the_record():
    a, _ = neuron()
    src = draw_dot(a, rankdir="TB", legend=False).source
    assert "rankdir=TB" in src and "</TR><TR>" in src
    assert "</TR><TR>" not in draw_dot(a, legend=False).source


def test_show_data_and_show_grad_hide_cells():
    a, _ = neuron()
    src = draw_dot(a, show_data=False, show_grad=False).source
    assert not re.search(r">(data|grad) ", src) and "<B>x</B>" in src


def test_bad_arguments_raise_our_error():
    a, _ = neuron()
    for kw in ({"rankdir": "XY"}, {"color": "rainbow"}, {"precision": -1}, {"max_nodes": 0}):
        with pytest.raises(VizError):
            draw_dot(a, **kw)
    with pytest.raises(AutogradError):
        draw_dot(3.0)  # type: ignore[arg-type]


# --- clusters, collapsing, subgraphs --------------------------------------------------------------


def cluster_block(src: str, name: str) -> str:
    start = src.index(f"subgraph {name} {{")
    depth, i = 0, start
    while True:
        if src[i] == "{":
            depth += 1
        elif src[i] == "}":
            depth -= 1
            if depth == 0:
                return src[start:i]
        i += 1


def test_mlp_nodes_are_grouped_per_neuron_inside_layers():
    src = draw_dot(mlp_2_4_1(), view="full").source
    layer0 = cluster_block(src, "cluster_L0")
    for n in range(4):
        assert f"subgraph cluster_L0_N{n}" in layer0
    n3 = cluster_block(src, "cluster_L0_N3")
    assert "L0.N3.w0" in n3 and "L0.N3.b" in n3 and "L0.N3.z" in n3 and "L0.N3.a" in n3 and "relu" in n3
    assert "L0.N2" not in n3
    assert "L1.N0.a" in cluster_block(src, "cluster_L1_N0")
    assert "<B>x0</B>" not in layer0  # inputs stay outside the layers
    assert 'label="layer 0"' in src and 'label="L0.N3"' in src


def test_unlabelled_partial_sums_join_their_neuron():
    src = draw_dot(mlp_2_4_1(), view="full").source
    n0 = cluster_block(src, "cluster_L0_N0")
    assert n0.count('label="*"') == 2 and n0.count('label="+"') == 2


def test_cluster_false_draws_flat():
    assert "cluster" not in draw_dot(mlp_2_4_1(), cluster=False).source


def test_dead_neuron_is_visible_in_the_network():
    src = draw_dot(mlp_2_4_1(), view="full").source
    n2 = cluster_block(src, "cluster_L0_N2")
    assert vg.ZERO_FILL in node_line(n2, "L0.N2.w0")
    assert vg.ZERO_FILL not in node_line(cluster_block(src, "cluster_L0_N1"), "L0.N1.w0")


def test_big_graphs_collapse_layers_into_summaries():
    loss = mlp_2_4_1()
    src = draw_dot(loss, max_nodes=20).source
    assert "<B>layer 0</B> (collapsed)" in src and "<B>layer 1</B> (collapsed)" in src
    assert "4 neurons, 12 parameters" in src
    assert "‖grad‖ of parameters" in src
    assert "intermediates with zero gradient" in src  # the dead neuron
    assert "groups collapsed" in src
    assert "L0.N0.w0" not in src
    assert "<B>L</B>" in src  # the root stays a record
    assert src.count("->") < 20
    assert "(collapsed)" in draw_dot(loss, max_nodes=1).source


def test_huge_graph_without_layers_collapses_into_depth_bands():
    x = Value(0.1, label="x")
    y = x
    for _ in range(2000):
        y = (y * 0.999).tanh()
    y.backward()
    src = draw_dot(y, max_nodes=50).source
    statements = [line for line in src.splitlines() if re.match(r"\s+[ng]\d+(op)? \[", line)]
    assert len(statements) <= 50
    assert "depth" in src and "(collapsed)" in src


def test_subgraph_of_limits_depth_and_marks_the_cut():
    loss = mlp_2_4_1()
    a = find_node(loss, "L0.N1.a")
    whole = subgraph_of(a)
    assert whole.nodes[-1] is a and len(whole.nodes) == 10  # b, 2 weights, 2 inputs, 2 products, 1 partial sum, z, a
    part = subgraph_of(a, depth=2)
    assert [v.label for v in part.nodes][-2:] == ["L0.N1.z", "L0.N1.a"]
    src = draw_dot(part).source
    assert "… +" in src and "L0.N1.w0" not in src and "L0.N2" not in src
    with pytest.raises(VizError):
        find_node(loss, "nope")
    with pytest.raises(VizError):
        subgraph_of(a, depth=-1)


# --- files ------------------------------------------------------------------------------------------


def test_dot_output_needs_no_dot_program(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    a, _ = neuron()
    out = render(a, tmp_path / "g.dot")
    assert out.read_text().startswith("digraph") and "tanh" in out.read_text()


def test_missing_dot_raises_our_error_with_install_instructions(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    a, _ = neuron()
    with pytest.raises(GraphvizNotFoundError) as info:
        render(a, tmp_path / "g.svg")
    assert isinstance(info.value, AutogradError)
    assert "sudo apt-get install graphviz" in str(info.value) and "brew install graphviz" in str(info.value)
    assert not (tmp_path / "g.svg").exists()
    bundle = GraphView(a)._repr_mimebundle_()
    assert "brew install graphviz" in bundle["text/plain"]


def test_bad_extension_and_unwritable_path(tmp_path):
    a, _ = neuron()
    with pytest.raises(RenderError, match=r"svg, \.png, \.pdf or \.dot"):
        render(a, tmp_path / "g.txt")
    with pytest.raises(RenderError, match="cannot write"):
        render(a, tmp_path / "missing" / "g.dot")
    (tmp_path / "d.dot").mkdir()
    with pytest.raises(RenderError, match="cannot write"):
        render(a, tmp_path / "d.dot")


@needs_dot
def test_real_svg_png_pdf_rendering(tmp_path):
    loss = mlp_2_4_1()
    svg = render(loss, tmp_path / "mlp.svg", view="full").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("L0.N0.w0", "L1.N0.a", "layer 0", "tanh", "relu"):
        assert text in svg
    assert render(loss, tmp_path / "mlp.png").read_bytes().startswith(b"\x89PNG")
    assert render(loss, tmp_path / "mlp.pdf").read_bytes().startswith(b"%PDF")


@needs_dot
def test_collapsed_and_laned_graphs_render(tmp_path):
    x = Value(np.linspace(-1, 1, 50), label="x")
    w, b = Value(0.3, label="w"), Value(0.1, label="b")
    loss = ((x * w + b).tanh() - 0.5).mean()
    loss.backward()
    assert "50 lanes" in render(loss, tmp_path / "lanes.svg").read_text()
    assert "(collapsed)" in render(mlp_2_4_1(), tmp_path / "c.svg", max_nodes=10).read_text()


@needs_dot
def test_graph_view_for_jupyter():
    a, _ = neuron()
    view = GraphView(a, rankdir="TB")
    assert "rankdir=TB" in view.source
    bundle = view._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert "grad" in view._repr_svg_()
    assert not hasattr(Value, "_repr_svg_")


def test_numbers_are_formatted_readably():
    assert vg._fmt(-0.0, 4) == "0.0000"
    assert vg._fmt(1e-7, 4) == "1e-07"
    assert vg._fmt(2.5e8, 4) == "2.5e+08"
    assert vg._fmt(math.nan, 4) == "nan"
