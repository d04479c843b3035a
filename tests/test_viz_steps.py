"""viz.steps: one frame per backward step, replayed from the engine's rules, and the HTML page."""

from __future__ import annotations

import random
import re
import shutil

import numpy as np
import pytest

from autograd_core import Value, topological_order
from viz.graph import GraphvizNotFoundError, VizError
from viz.steps import backprop_steps, render_backprop, trace_backward

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def neuron_loss() -> tuple[Value, dict[str, Value]]:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.8813735870195432, label="b")
    z = x * w + b
    z.label = "z"
    a = z.tanh()
    a.label = "a"
    loss = (a - 1.0) ** 2 + a * x  # x and a are used twice: partial sums
    loss.label = "L"
    return loss, {"x": x, "w": w, "b": b, "z": z, "a": a}


def small_mlp() -> Value:
    rng = random.Random(3)
    acts = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    for layer, nout in enumerate((3, 1)):
        new = []
        for n in range(nout):
            ws = [Value(rng.uniform(-1, 1), label=f"L{layer}.N{n}.w{i}") for i in range(len(acts))]
            z = sum((w * a for w, a in zip(ws, acts, strict=True)), Value(0.1, label=f"L{layer}.N{n}.b"))
            z.label = f"L{layer}.N{n}.z"
            new.append(z.tanh())
        acts = new
    loss = (acts[0] - 1.0) ** 2
    loss.label = "L"
    return loss


def inner_count(root: Value) -> int:
    return sum(1 for v in topological_order(root) if not v.is_leaf)


@pytest.mark.parametrize("build", [lambda: neuron_loss()[0], small_mlp])
def test_one_step_per_non_leaf_node_and_final_grads_match_backward(build):
    root = build()
    steps = trace_backward(root)
    assert len(steps) == inner_count(root)
    root.backward()
    for v in topological_order(root):
        assert steps[-1].grads[v] == pytest.approx(v.grad, rel=1e-12, abs=1e-15)
    # Engine order: topological order reversed, leaves skipped.
    assert [s.node for s in steps] == [v for v in reversed(topological_order(root)) if not v.is_leaf]


def test_user_gradients_are_left_alone():
    root, v = neuron_loss()
    trace_backward(root)
    assert v["x"].grad == 0.0 and root.grad == 0.0
    root.backward()
    before = {k: n.grad for k, n in v.items()}
    trace_backward(root)
    assert {k: n.grad for k, n in v.items()} == before  # not doubled by the replay


def test_partial_sums_and_finished_nodes():
    root, v = neuron_loss()
    steps = trace_backward(root)
    first_into_a = next(s for s in steps if v["a"] in s.grads)
    assert v["a"] not in first_into_a.finished  # a feeds two ops: one share so far
    done = next(s for s in steps if s.node is v["a"])
    assert v["a"] in done.finished
    assert any("+=" in s.caption for s in steps)  # the second share is accumulated


def test_captions_spell_out_the_chain_rule_with_numbers():
    root, v = neuron_loss()
    steps = trace_backward(root)
    tanh = next(s for s in steps if s.node is v["a"])
    assert tanh.caption.startswith("tanh: dL/dz = dL/da · (1 − a²)")
    g = tanh.grads[v["a"]]
    assert f"{g:.4f} · (1 − 0.7071²) = {g * (1 - v['a'].data ** 2):.4f}" in tanh.caption
    mul = next(s for s in steps if s.node.op == "*" and v["w"] in s.node.parents)  # #1 = x*w, unlabelled
    assert mul.caption.splitlines() == [
        "*: dL/dx += dL/d#1 · w;  dL/dw = dL/d#1 · x",  # x already had a share from a*x
        "dL/dx += 0.7071 · (-3.0000) = -2.1213;  dL/dw = 0.7071 · 2.0000 = 1.4142",
    ]


def test_laned_graph_sums_shares_for_scalar_parameters():
    x = Value(np.array([0.5, -1.0, 2.0]), label="x")
    w = Value(0.3, label="w")
    loss = (x * w).tanh().mean()
    loss.label = "L"
    steps = trace_backward(loss)
    assert any("sum over the lanes" in s.caption for s in steps)
    loss.backward()
    assert steps[-1].grads[w] == pytest.approx(w.grad)


def test_refusals():
    with pytest.raises(VizError, match="reduce it"):
        trace_backward(Value(np.ones(3)) * 2)
    x = Value(0.1)
    for _ in range(500):
        x = x * 1.0
    with pytest.raises(VizError, match="too many"):
        trace_backward(x)


def test_frames_highlight_the_current_node():
    root, _ = neuron_loss()
    frames = list(backprop_steps(root))
    assert len(frames) == inner_count(root)
    for k, frame in enumerate(frames):
        src = frame.source
        assert f"step {k + 1} of {len(frames)}" in src
        assert 'BORDER="3"' in src and "dir=back" in src
    assert "grad ?" in frames[0].source and "grad ?" not in frames[-1].source


@needs_dot
def test_render_backprop_writes_numbered_frames_and_one_page(tmp_path):
    root = small_mlp()
    page = render_backprop(root, tmp_path / "steps")
    n = inner_count(root)
    frames = sorted((tmp_path / "steps").glob("step_*.svg"))
    assert [f.name for f in frames] == [f"step_{k:03d}.svg" for k in range(1, n + 1)]
    text = page.read_text()
    assert text.count("<svg") == n and "<?xml" not in text
    for f in frames:
        assert f'data-file="{f.name}"' in text
    assert "ArrowRight" in text and "ArrowLeft" in text and 'id="next"' in text and 'id="prev"' in text
    assert "tanh: dL/d" in text
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))  # frame ids made unique when inlined
    assert "L0.N2.w1" in frames[-1].read_text()


def test_render_backprop_without_dot_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    root, _ = neuron_loss()
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        render_backprop(root, tmp_path / "frames")
    assert not (tmp_path / "frames").exists()
