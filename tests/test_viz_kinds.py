"""Which leaves a picture calls inputs and which parameters: the rule is stated, and the user can mark them."""

import re

import pytest

from autograd_core import Value
from autograd_core.params import ParamBuffer
from viz import VizError, draw_dot
from viz.cli import main
from viz.graph import KIND_FILL, node_kind


def neuron(name: str = "t"):
    t = Value(2.0, label=name)
    w = Value(-3.0, label="w")
    out = (t * w).tanh()
    out.backward()
    return out, t, w


def fill_of(src: str, label: str) -> str:
    """The fill of the label cell of the record whose bold label is ``label``."""
    return re.search(rf'BGCOLOR="(#[0-9a-f]+)"><B>{re.escape(label)}</B>', src).group(1)


def test_the_legend_states_the_default_rule():
    out, _, _ = neuron("x")
    src = draw_dot(out).source
    assert "input: leaf named x… or laned" in src and "parameter: other leaf" in src
    assert fill_of(src, "x") == KIND_FILL["input"] and fill_of(src, "w") == KIND_FILL["parameter"]


@pytest.mark.parametrize("mark", ["labels", "values"])
def test_marked_inputs_override_the_letter(mark):
    out, t, _ = neuron("t")  # 't' does not start with x: the guess calls it a parameter
    assert fill_of(draw_dot(out).source, "t") == KIND_FILL["parameter"]
    src = draw_dot(out, inputs=["t"] if mark == "labels" else [t]).source
    assert fill_of(src, "t") == KIND_FILL["input"] and fill_of(src, "w") == KIND_FILL["parameter"]
    assert "input: marked as input" in src and "named x" not in src
    src = draw_dot(out, inputs=[]).source  # nothing marked: every leaf is a parameter
    assert fill_of(src, "t") == KIND_FILL["parameter"]


def test_a_model_parameter_is_a_parameter_whatever_its_name():
    (p,) = ParamBuffer([1.0], labels=["xw"]).params
    assert node_kind(p) == "parameter" and node_kind(Value(1.0, label="xw")) == "input"


def test_marking_a_name_that_is_not_there_is_an_error():
    out, _, _ = neuron()
    with pytest.raises(VizError, match="no leaf labelled 'q'"):
        draw_dot(out, inputs=["q"])


def test_backprop_graph_inputs(tmp_path, capsys):
    path = tmp_path / "g.dot"
    assert main(["graph", "tanh(t*w)", "t=2", "w=-3", "--inputs", "t", "-o", str(path)]) == 0
    src = path.read_text()
    assert fill_of(src, "t") == KIND_FILL["input"] and "input: marked as input" in src
    capsys.readouterr()
    assert main(["graph", "t*w", "t=2", "w=-3", "--inputs", "q", "-o", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no leaf labelled 'q'" in err[0]
