"""Issue 14 item 5: every value an error echoes is a short excerpt, whatever its size.

Huge strings, lists, dicts and arrays go into public entry points of the engine, nn, the model
files and the CLI; the error must be ours (AutogradError, a ValueError/TypeError) and its
message short. A planted bug (an f-string echoing the whole value) turns this red.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_core import AutogradError, Value, define_op
from autograd_core.errors import EXCERPT_CHARS, PATH_CHARS, excerpt, excerpt_path
from autograd_core.testing import check_backprop, check_op, expressions
from autograd_core.testing.network import check_activation, loss_name
from viz.bench import run_bench, settings_for
from viz.cli import main
from viz.conv_view import filter_grid
from viz.expr import parse_expr as parse
from viz.graph import draw_dot

LONGEST = 600  # a message: a sentence, a few excerpts and a file name


KINDS = {
    "str": lambda n, c: c * n,
    "list": lambda n, c: [c] * n,
    "dict": lambda n, c: {f"{c}{i}": i for i in range(n // 100)},
    "array": lambda n, c: np.full(n, c),
    "int": lambda n, c: 10 ** (400 + n // 20),  # beyond float64, up to 10,400 digits
}


def as_text(value) -> str:
    """A huge value as text for a name (str() of an int of more than 4,300 digits raises)."""
    return "9" * 10_000 if type(value) is int else str(value)[:1_000_000]


def huge(kind: str):
    size = st.integers(1_000, 200_000)
    return st.builds(KINDS[kind], size, st.sampled_from(["x", "é", "\ud800", "'", "\n", "\x1b"]))


def huge_values():
    return st.one_of(*(huge(kind) for kind in KINDS))


def entry_points():
    def model_file(value):
        doc = nn.MLP(2, [1], seed=0).to_dict()
        doc["config"]["activations"] = [value]
        return nn.MLP.from_json(json.dumps(doc, default=str))

    def model_file_key(value):
        doc = nn.MLP(2, [1], seed=0).to_dict()
        doc["config"][as_text(value)] = 1
        return nn.MLP.from_json(json.dumps(doc))

    def state_key(value):
        nn.Neuron(1).load_state_dict({"w.0": 1.0, "b": 0.0, as_text(value): 1.0})

    def label(value):
        Value(-1.0, label=as_text(value)).log()

    def forward_error(value):  # a user's forward raising with a huge message
        def forward(x):
            raise ValueError(as_text(value))

        define_op("loud", forward, lambda g, out, x: g)(Value(1.0))

    def graph_input(value):
        draw_dot(Value(1.0, label="x") * 2, inputs=[as_text(value) + str(i) for i in range(9)])

    def conv_layer(value):
        filter_grid(nn.Sequential(nn.Conv2d(1, 1, 2), input_shape=(1, 3, 3), seed=0), layer=value)

    return {
        "Value(data)": lambda v: Value(v if not isinstance(v, str) else [v]),
        "Value label in a DomainError": label,
        "activation name": lambda v: nn.MLP(2, [3, 1], activation=v),
        "output activation": lambda v: nn.MLP(2, [1], output_activation=v),
        "optimizer name": lambda v: nn.get_optimizer(v, [Value(1.0)]),
        "loss name": lambda v: nn.losses.get(v),
        "model file field": model_file,
        "model file key": model_file_key,
        "state dict key": state_key,
        "define_op name": lambda v: define_op(as_text(v) + "-", lambda x: x, lambda g, out, x: g),
        "expression": lambda v: parse(f"({str(v)[:5_000]})(x)"),
        "estimator": lambda v: nn.MLPClassifier(activation=v).fit([[0.0], [1.0]], [0, 1]),
        "define_op forward error": forward_error,
        "define_op long name": lambda v: define_op("op" + "n" * len(as_text(v)), lambda x: x, lambda g, out, x: g)(
            1.0, 2.0
        ),
        "graph inputs": graph_input,
        "conv view layer": conv_layer,
        "bench rounds": lambda v: settings_for(True, negative(v)),
        "bench sections": lambda v: run_bench(sections=[as_text(v)]),
        "testing loss name": lambda v: loss_name(v),
        "testing activation": lambda v: check_activation(v, last=True),
        "check_backprop option": lambda v: check_backprop(lambda *a: None, max_layers=negative(v)),
        "check_backprop fn": lambda v: check_backprop(v),
        "check_op domain": lambda v: check_op(lambda x: x, domain=v, arity=1),
        "expressions op": lambda v: expressions(ops=[v]),  # a strategy: the test draws from it
    }


def negative(value):
    """A huge int is a valid count: its negative is not."""
    return -value if type(value) is int else value


def torch_entry_points():
    torch = pytest.importorskip("torch")
    T = torch.nn

    def state_dict_key(value):
        key = as_text(value)
        nn.from_torch({key + ".weight": torch.zeros(1, 1), "x.bias": torch.zeros(1)}, sizes=[1, 1])

    def module_name(value):
        net = T.Sequential()
        net.add_module(as_text(value).replace(".", "_") or "_", T.Dropout())
        nn.from_torch(net)

    def module_option(value):
        soft = T.Softmax(dim=1)
        soft.dim = value
        nn.from_torch(T.Sequential(T.Linear(1, 2), soft))

    def leaky_slope(value):
        leaky = T.LeakyReLU()
        leaky.negative_slope = value
        nn.from_torch(T.Sequential(T.Linear(1, 2), leaky))

    def conv_padding(value):
        conv = T.Conv2d(1, 1, 3)
        conv.padding_mode = value
        nn.from_torch(T.Sequential(conv), input_shape=(1, 4, 4))

    def input_shape(value):
        nn.from_torch(T.Sequential(T.Unflatten(1, (1, 2, 2)), T.Flatten()), input_shape=[1, 2, 2, *([2] * 50_000)])

    def huge_side(value):  # an image side of 5,000 digits: refused by its bound, not by int-to-str
        nn.from_torch(T.Sequential(T.Conv2d(1, 1, 1)), input_shape=[10**5000 if type(value) is int else value])

    def sizes(value):
        nn.from_torch(T.Linear(1, 1).state_dict(), sizes=[1] * 100_000)

    return {
        "torch state_dict key": state_dict_key,
        "torch module name": module_name,
        "torch Softmax dim": module_option,
        "torch LeakyReLU slope": leaky_slope,
        "torch Conv2d padding_mode": conv_padding,
        "torch input_shape": input_shape,
        "torch sizes": sizes,
        "torch image side": huge_side,
        "torch source": lambda v: nn.from_torch(v),
        "onnx dtype": lambda v: nn.export_onnx(nn.MLP(1, [1], seed=0), "/nonexistent/m.onnx", dtype=v),
    }


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # hypothesis, on a strategy of a huge op
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("name", sorted(entry_points()))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_errors_echo_huge_values_as_short_excerpts(name: str, kind: str, data: st.DataObject) -> None:
    assert_short_error(name, entry_points()[name], data.draw(huge(kind)), data)


def assert_short_error(name: str, entry, value, data: st.DataObject, ours: tuple = (ValueError, TypeError)) -> None:
    """``entry(value)`` raises one of our errors (or draws from a strategy that does), with a short message."""
    with pytest.raises((AutogradError, *ours)) as info:
        result = entry(value)
        if isinstance(result, st.SearchStrategy):
            data.draw(result)
    message = str(info.value)
    assert len(message) <= LONGEST, f"{name}: {len(message)} characters: {message[:200]}..."
    message.encode("utf-8")  # printable: no lone surrogate reaches a terminal


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("name", sorted(torch_entry_points()))
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_the_torch_bridge_echoes_huge_values_as_short_excerpts(name: str, kind: str, data: st.DataObject) -> None:
    assert_short_error(name, torch_entry_points()[name], data.draw(huge(kind)), data, ours=())  # only ours


@pytest.mark.parametrize(
    "name",
    ["Value label in a DomainError", "state dict key", "define_op name", "define_op long name", "model file key"],
)
def test_a_million_character_name_gives_a_short_message(name: str) -> None:
    """The issue's scale: a 1e6-character label, state_dict key, op name, JSON key, error text."""
    with pytest.raises((AutogradError, ValueError, TypeError)) as info:
        entry_points()[name]("n" * 1_000_000)
    assert len(str(info.value)) <= LONGEST, str(info.value)[:200]


@pytest.mark.parametrize("name", ["torch state_dict key", "torch module name"])
def test_a_million_character_torch_name_gives_a_short_message(name: str) -> None:
    with pytest.raises(AutogradError) as info:
        torch_entry_points()[name]("n" * 1_000_000)
    assert len(str(info.value)) <= LONGEST and "(1,000,0" in str(info.value), str(info.value)[:200]


def test_check_backprop_echoes_a_huge_error_of_the_users_code_as_an_excerpt() -> None:
    """The report holds a reproduction (code of the smallest case); the user's text in it is short."""

    def loud(Ws, bs, activations, X, Y, loss):
        raise ValueError("x" * 1_000_000)

    loud.__qualname__ = loud.__name__ = "f" * 1_000_000
    with pytest.raises(AssertionError) as info:
        check_backprop(loud, activations=["linear"], losses=["sse"], max_layers=1, max_examples=5)
    message = str(info.value)
    assert len(message.splitlines()[0]) <= LONGEST, message[:300]
    assert "x" * 200 not in message and "f" * 200 not in message, message[:300]
    assert len(message) <= 4 * LONGEST, (len(message), message[:300])


@settings(max_examples=20, deadline=None)
@given(value=huge_values())
def test_the_excerpt_itself_is_bounded_and_one_line(value) -> None:
    text = excerpt(value)
    assert len(text) <= EXCERPT_CHARS + 40 and "\n" not in text and text.isascii()


@settings(max_examples=20, deadline=None)
@given(st.text(min_size=1, max_size=3000))
def test_a_file_name_excerpt_is_bounded_and_printable(name) -> None:
    text = excerpt_path(name)
    assert len(text) <= PATH_CHARS and text.isprintable()
    text.encode("utf-8")


def test_the_cli_prints_one_short_line_for_a_huge_argument(capsys) -> None:
    cases = [
        ["graph", "x" * 9_000 + "(x)", "x=1"],
        ["graph", "x*y", "x=" + "1" * 50_000],
        ["graph", "x*y", "y" * 20_000 + "=1"],
    ]
    for argv in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and len(err[0]) <= LONGEST, (argv[1][:20], len(err[0]), err[0][:200])


def test_a_model_file_with_a_huge_string_gives_a_short_message(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    nn.MLP(2, [1], seed=0).save(path)
    doc = json.loads(path.read_text())
    doc["config"]["nin"] = "9" * 5_000_000
    path.write_text(json.dumps(doc))
    with pytest.raises(nn.ModelFileError) as info:
        nn.MLP.load(path)
    assert len(str(info.value)) <= LONGEST and "(5,000,000 characters)" in str(info.value)


def test_backprop_check_names_a_huge_function_of_the_users_file_shortly(tmp_path: Path, capsys) -> None:
    name = "f" * 100_000
    path = tmp_path / "mine.py"
    path.write_text(f"def {name}(a):\n    return a\n\n\n{'g' * 100_000} = 1\n")
    for target in (name, "g" * 100_000):  # a function of the wrong signature; not a function at all
        assert main(["check", "--backprop", f"{path}:{target}"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and len(err[0]) <= LONGEST, (len(err[0]), err[0][:200])
