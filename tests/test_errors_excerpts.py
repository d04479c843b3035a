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
from viz.cli import main
from viz.expr import parse_expr as parse

LONGEST = 600  # a message: a sentence, a few excerpts and a file name


KINDS = {
    "str": lambda n, c: c * n,
    "list": lambda n, c: [c] * n,
    "dict": lambda n, c: {f"{c}{i}": i for i in range(n // 100)},
    "array": lambda n, c: np.full(n, c),
    "int": lambda n, c: 10 ** (400 + n // 20),  # beyond float64, up to 10,400 digits
}


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

    def state_key(value):
        nn.Neuron(1).load_state_dict({"w.0": 1.0, "b": 0.0, str(value)[:100_000]: 1.0})

    def label(value):
        Value(-1.0, label=str(value)[:100_000]).log()

    return {
        "Value(data)": lambda v: Value(v if not isinstance(v, str) else [v]),
        "Value label in a DomainError": label,
        "activation name": lambda v: nn.MLP(2, [3, 1], activation=v),
        "output activation": lambda v: nn.MLP(2, [1], output_activation=v),
        "optimizer name": lambda v: nn.get_optimizer(v, [Value(1.0)]),
        "loss name": lambda v: nn.losses.get(v),
        "model file field": model_file,
        "state dict key": state_key,
        "define_op name": lambda v: define_op(str(v)[:100_000] + "-", lambda x: x, lambda g, out, x: g),
        "expression": lambda v: parse(f"({str(v)[:5_000]})(x)"),
        "estimator": lambda v: nn.MLPClassifier(activation=v).fit([[0.0], [1.0]], [0, 1]),
    }


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("name", sorted(entry_points()))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_errors_echo_huge_values_as_short_excerpts(name: str, kind: str, data: st.DataObject) -> None:
    value = data.draw(huge(kind))
    with pytest.raises((AutogradError, ValueError, TypeError)) as info:
        entry_points()[name](value)
    message = str(info.value)
    assert len(message) <= LONGEST, f"{name}: {len(message)} characters: {message[:200]}..."
    message.encode("utf-8")  # printable: no lone surrogate reaches a terminal


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
