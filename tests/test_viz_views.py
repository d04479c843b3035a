"""Whole-network pictures sized for a screen: the network view by default, full detail on request,
the direction turned when a picture is too wide, GraphView small. Sizes are dot's own layout."""

import json
import re
import shutil
import subprocess

import pytest

from nn import MLP, make_moons
from viz import GraphView, VizError, draw_dot
from viz.graph import _resolve, _view_groups
from viz.layout import SCREEN_PX, estimate
from viz.neuron import neuron_view

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="sizes come from Graphviz's dot")

GRAPHVIEW_BUDGET = 100_000  # bytes of SVG: what a notebook cell keeps in the .ipynb file


def bounding_box(dg) -> tuple[float, float]:
    """(width, height) in CSS pixels of dot's layout of ``dg``."""
    out = subprocess.run(["dot", "-Tjson"], input=dg.source.encode(), capture_output=True, check=True, timeout=60)
    _, _, w, h = map(float, json.loads(out.stdout)["bb"].split(","))
    return w * 4 / 3, h * 4 / 3


def aspect(size: tuple[float, float]) -> float:
    return max(size) / min(size)


@pytest.fixture(scope="module")
def micrograd_net():
    """micrograd's 2-16-16-1 network on one sample, back-propagated: 402 Values."""
    out = MLP(2, [16, 16, 1], seed=0)([0.5, -1.0])
    out.backward()
    return out


def test_the_default_picture_of_micrograds_network_is_the_network_view(micrograd_net):
    dg = draw_dot(micrograd_net)
    src = dg.source
    for layer in range(3):
        assert f"layer {layer}</B> (collapsed)" in src
    expanded = re.search(r"neuron (L0\.N\d+) in full", src).group(1)
    for part in ("w0", "w1", "b", "z", "a"):
        assert f"<B>{expanded}.{part}</B>" in src  # the chosen neuron, every node of it
    assert src.count("<B>L0.N") == 5 and "L1.N0.w0" not in src  # and no other neuron's nodes
    w, h = bounding_box(dg)
    assert w <= 1.5 * SCREEN_PX[0] and h <= 1.5 * SCREEN_PX[1] and aspect((w, h)) <= 2.5, (w, h)


def test_the_default_neuron_is_the_first_layers_busiest(micrograd_net):
    nodes = _resolve(micrograd_net).nodes
    zs = {v.label[:-2]: abs(v.grad) for v in nodes if v.label.startswith("L0.") and v.label.endswith(".z")}
    _, expanded = _view_groups(_resolve(micrograd_net), "network", None, 500)
    assert expanded == max(zs, key=zs.get)


def test_full_detail_on_request(micrograd_net):
    src = draw_dot(micrograd_net, view="full").source
    assert "(collapsed)" not in src and src.count(">data ") == 402


def test_another_neuron_expanded_on_request(micrograd_net):
    src = draw_dot(micrograd_net, view="network", expand="L1.N3").source
    assert "<B>L1.N3.w15</B>" in src and "neuron L1.N3 in full" in src and "<B>L0.N" not in src
    with pytest.raises(VizError, match=r"expand: no neuron 'L7\.N0'"):
        draw_dot(micrograd_net, view="network", expand="L7.N0")
    with pytest.raises(VizError, match="view must be one of auto, network, full"):
        draw_dot(micrograd_net, view="layers")


def test_a_graph_without_neurons_has_no_network_view():
    from autograd_core import Value

    y = (Value(1.0, label="x") * 2.0).tanh()
    with pytest.raises(VizError, match="view='network' needs an nn network"):
        draw_dot(y, view="network")
    assert "(collapsed)" not in draw_dot(y).source


def test_a_small_network_is_drawn_in_full():
    out = MLP(2, [3, 1], seed=0)([0.5, -1.0])
    out.backward()
    src = draw_dot(out).source
    assert "(collapsed)" not in src and src.count(">data ") == len(_resolve(out).nodes)


def test_graphview_of_micrograds_network_stays_small(micrograd_net):
    svg = GraphView(micrograd_net)._repr_svg_()
    assert len(svg.encode()) <= GRAPHVIEW_BUDGET
    full = GraphView(micrograd_net, view="full")
    assert "view='full'" not in full.source  # on request the whole graph, not the note


def test_a_wide_picture_turns_and_a_small_one_stays_left_to_right():
    from autograd_core import Value

    y = (Value(2.0, label="x") * Value(-3.0, label="w") + Value(6.88, label="b")).tanh()
    y.backward()
    assert "rankdir=LR" in draw_dot(y).source  # fits a screen as it is
    X, t = make_moons(20, noise=0.1, seed=0)
    view = neuron_view(MLP(2, [16, 16, 1], seed=0), X[0], t[0], loss="hinge")
    dg = view.digraph()
    assert "rankdir=TB" in dg.source
    w, h = bounding_box(dg)
    assert aspect((w, h)) <= 2.5  # the demo's neuron: it was 7.5:1 left to right
    assert w <= SCREEN_PX[0] and h <= SCREEN_PX[1]  # records side by side: it fits one screen
    assert aspect(bounding_box(view.digraph(rankdir="LR"))) > 5  # (what turning avoids)


@pytest.mark.parametrize("hidden", [[3, 1], [4, 4, 1], [16, 16, 1]])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_the_estimate_is_within_a_factor_of_dots_layout(hidden, rankdir):
    out = MLP(2, hidden, seed=0)([0.3, -0.2])
    out.backward()
    sub = _resolve(out)
    group, _ = _view_groups(sub, "network", None, 500)
    size = estimate(sub.nodes, group, rankdir)
    w, h = bounding_box(draw_dot(out, view="network", rankdir=rankdir))
    assert 0.6 <= size.width_px / w <= 1.5 and 0.6 <= size.height_px / h <= 1.5, (size, w, h)
