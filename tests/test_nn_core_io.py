"""State dicts and model files: round trips, and every way a file can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import AutogradError
from nn import MLP, Layer, ModelFileError, Neuron, StateDictError
from nn.module import FORMAT, VERSION


@pytest.fixture
def model() -> MLP:
    return MLP(2, [4, 3], activation="tanh", output_activation="softmax", seed=0)


def saved(model: MLP, tmp_path: Path) -> Path:
    path = tmp_path / "model.json"
    model.save(path)
    return path


def test_round_trip(model: MLP, tmp_path: Path) -> None:
    path = saved(model, tmp_path)
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT == "autograd-core-model" and doc["version"] == VERSION == 1
    assert doc["config"] == {"type": "MLP", "nin": 2, "nouts": [4, 3], "activations": ["tanh", "softmax"]}
    assert doc["state"] == model.state_dict()
    copy = MLP.load(path)
    assert copy.state_dict() == model.state_dict() and copy.activations == model.activations
    x = [0.3, -0.7]
    assert [p.data for p in copy(x)] == [p.data for p in model(x)]
    other = MLP(2, [4, 3], activation="tanh", output_activation="softmax", seed=99)
    assert other.load(path) is other
    assert other.state_dict() == model.state_dict()


def test_round_trip_is_exact_for_awkward_floats(tmp_path: Path) -> None:
    model = MLP.from_weights([[[1e-300, -0.1 + 0.2], [np.pi, -5e-324]]], [[1 / 3, 2.0**60]], "relu")
    path = saved(model, tmp_path)
    assert MLP.load(path).state_dict() == model.state_dict()


def test_neuron_and_layer_files(tmp_path: Path) -> None:
    n = Neuron(3, "sigmoid", seed=1)
    n.save(tmp_path / "n.json")
    assert Neuron.load(tmp_path / "n.json").state_dict() == n.state_dict()
    layer = Layer(2, 3, "elu", seed=1)
    layer.save(tmp_path / "l.json")
    assert Layer.load(tmp_path / "l.json").state_dict() == layer.state_dict()
    with pytest.raises(ModelFileError, match=r"config\.type: expected 'MLP' \(the class being loaded\), got 'Layer'"):
        MLP.load(tmp_path / "l.json")


def test_state_dict(model: MLP) -> None:
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    assert all(type(v) is float for v in state.values())
    new = {k: v + 1 for k, v in state.items()}
    model.load_state_dict(new)
    assert model.state_dict() == new


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: s.pop("layers.1.neurons.2.b"), "missing parameter 'layers.1.neurons.2.b'"),
        (lambda s: s.update(extra=1.0), "unexpected entry 'extra'"),
        (lambda s: s.update({"layers.0.neurons.0.w.0": "1.0"}), "'layers.0.neurons.0.w.0' must be a number, got str"),
        (lambda s: s.update({"layers.0.neurons.0.b": True}), "must be a number, got bool"),
        (lambda s: s.update({"layers.0.neurons.0.b": None}), "must be a number, got NoneType"),
        (lambda s: s.update({"layers.1.neurons.0.b": float("nan")}), "'layers.1.neurons.0.b' is not finite"),
        (lambda s: s.update({"layers.1.neurons.0.b": [1.0]}), "must be a number, got list"),
    ],
)
def test_load_state_dict_errors_leave_the_model_unchanged(model: MLP, change, match: str) -> None:
    before = model.state_dict()
    state = {k: v + 1 for k, v in before.items()}  # every entry would change ...
    change(state)  # ... but one is wrong
    with pytest.raises(StateDictError, match=match) as info:
        model.load_state_dict(state)
    assert isinstance(info.value, ValueError) and isinstance(info.value, AutogradError)
    assert model.state_dict() == before


def test_load_state_dict_needs_a_mapping(model: MLP) -> None:
    with pytest.raises(StateDictError, match="expected a mapping"):
        model.load_state_dict([1.0, 2.0])


def bad_docs(doc: dict) -> list[tuple[object, str]]:
    """(broken document or raw text, expected message) pairs derived from a good document."""
    text = json.dumps(doc)

    def edit(fn):
        d = json.loads(text)
        fn(d)
        return d

    return [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        (text[: len(text) // 2], "not valid JSON"),
        (text[:-1], "not valid JSON"),
        ("[1, 2]", r"\(top level\): expected a JSON object, got \[1, 2\]"),
        ("null", "expected a JSON object, got None"),
        (text.replace(str(doc["state"]["layers.0.neurons.0.b"]), "NaN", 1), "NaN is not a valid JSON number"),
        (edit(lambda d: d.pop("format")), "format: expected 'autograd-core-model' .*, got None"),
        (edit(lambda d: d.update(format="keras")), "format: expected .*got 'keras'"),
        (
            edit(lambda d: d.update(version=2)),
            r"version: expected a version this library reads \(an integer: 1\), got 2",
        ),
        (edit(lambda d: d.update(version="1")), "version: .*got '1'"),
        (edit(lambda d: d.update(version=True)), "version: .*got True"),
        (edit(lambda d: d.pop("state")), "expected the key 'state' .*but it is missing"),
        (edit(lambda d: d.update(state=[1.0])), r"state: expected a JSON object .*, got \[1\.0\]"),
        (edit(lambda d: d.pop("config")), "expected the key 'config' .*but it is missing"),
        (edit(lambda d: d["config"].update(nouts=[4, 2])), r"config\.nouts\[1\]: 2 in the file, 3 in this model"),
        (
            edit(lambda d: d["config"].update(activations=["relu", "softmax"])),
            r"config\.activations\[0\]: 'relu' in the file, 'tanh' in this model",
        ),
        (
            edit(lambda d: d["state"].pop("layers.0.neurons.0.w.0")),
            "expected the parameter 'layers.0.neurons.0.w.0' .*but it is missing",
        ),
        (edit(lambda d: d["state"].update(bogus=1.0)), "state.bogus: expected only this model's parameter names"),
        (edit(lambda d: d["state"].update({"layers.0.neurons.0.b": "0.5"})), "expected a finite number, got '0.5'"),
        (
            json.dumps(edit(lambda d: d["state"].update({"layers.0.neurons.0.b": 7.25}))).replace("7.25", "1e999"),
            "expected a finite number, got inf",
        ),
    ]


def write(path: Path, content: object) -> None:
    path.write_text(content if isinstance(content, str) else json.dumps(content))


def test_every_broken_file_raises_and_leaves_the_model_unchanged(model: MLP, tmp_path: Path) -> None:
    doc = json.loads(saved(model, tmp_path).read_text())
    before = model.state_dict()
    for i, (content, match) in enumerate(bad_docs(doc)):
        path = tmp_path / f"bad{i}.json"
        write(path, content)
        with pytest.raises(ModelFileError, match=match) as info:
            model.load(path)
        assert str(path) in str(info.value)
        assert isinstance(info.value, ValueError) and isinstance(info.value, AutogradError)
        assert model.state_dict() == before, f"case {i} changed the model"


def test_broken_files_for_the_class_loader(model: MLP, tmp_path: Path) -> None:
    doc = json.loads(saved(model, tmp_path).read_text())
    cases = [
        ({"nin": 0}, r"config\.nin: expected an integer from 1 to 1,000,000, got 0"),
        ({"nin": "2"}, r"config\.nin: expected an integer .*got '2'"),
        ({"nouts": []}, r"config\.nouts: expected a list of 1 to 1000 layer widths, got \[\]"),
        ({"nouts": [4, -3]}, r"config\.nouts\[1\]: expected an integer .*got -3"),
        ({"nouts": [4.0, 3]}, r"config\.nouts\[0\]: expected an integer .*got 4\.0"),
        ({"activations": ["tanh"]}, r"config\.activations: expected a list of 2 activation names"),
        ({"activations": ["tanh", "swish"]}, r"config\.activations\[1\]: expected an activation name.*got 'swish'"),
        ({"activations": ["softmax", "linear"]}, "softmax is only supported on the last layer"),
        ({"activations": ["tanh", 3]}, r"config\.activations\[1\]: expected an activation name.*got 3"),
        ({"extra": 1}, r"config\.extra: expected only the keys type, nin, nouts, activations, got an unknown key"),
        ({"nouts": [4, 2]}, "state: expected 22 parameters, as the config describes, but it holds 27"),
    ]
    for i, (update, match) in enumerate(cases):
        bad = json.loads(json.dumps(doc))
        bad["config"].update(update)
        path = tmp_path / f"cfg{i}.json"
        write(path, bad)
        with pytest.raises(ModelFileError, match=match):
            MLP.load(path)
    bad = json.loads(json.dumps(doc))
    del bad["config"]["nin"]
    write(tmp_path / "nonin.json", bad)
    with pytest.raises(ModelFileError, match="expected the key 'nin' in a MLP config"):
        MLP.load(tmp_path / "nonin.json")


def test_binary_and_missing_files(model: MLP, tmp_path: Path) -> None:
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ModelFileError, match="not a UTF-8 text file"):
        MLP.load(tmp_path / "bin.json")
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "nope.json")


def test_cannot_save_non_finite(model: MLP, tmp_path: Path) -> None:
    model.parameters()[0].data = float("nan")
    with pytest.raises(ModelFileError, match="not finite"):
        model.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


@settings(max_examples=60)
@given(st.data())
def test_truncated_or_corrupted_files_never_crash_obscurely(data: st.DataObject) -> None:
    import tempfile

    model = MLP(2, [3, 2], activation="relu", seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.json"
        model.save(path)
        text = path.read_text()
        if data.draw(st.booleans()):
            cut = data.draw(st.integers(0, len(text.rstrip()) - 1))
            broken = text[:cut]
        else:
            pos = data.draw(st.integers(0, len(text) - 1))
            broken = text[:pos] + data.draw(st.sampled_from(list('{}[]",:0-9eE.x '))) + text[pos + 1 :]
        path.write_text(broken)
        before = model.state_dict()
        try:
            model.load(path)
        except ModelFileError:
            assert model.state_dict() == before
        else:
            assert broken != text or model.state_dict() == before


def test_no_pickle_no_eval() -> None:
    import ast

    import nn

    for name in ("module.py", "layers.py", "losses.py", "activations.py", "reference.py"):
        source = (Path(nn.__file__).parent / name).read_text()
        assert "import pickle" not in source
        # Calls by name, read from the syntax tree: Module.eval() (PyTorch's switch) is a method, not eval
        called = {
            n.func.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert not called & {"eval", "exec", "compile", "__import__"}, (name, called & {"eval", "exec"})


def test_a_tiny_file_cannot_ask_for_a_huge_model(tmp_path: Path) -> None:
    import time

    path = tmp_path / "huge.json"
    config = {"type": "MLP", "nin": 2, "nouts": [3000, 3000], "activations": ["relu", "linear"]}
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION, "config": config, "state": {}}))
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=r"expected at most 5,000,000 parameters .*it describes 9,012,000"):
        MLP.load(path)
    assert time.perf_counter() - start < 1.0  # refused before 9 million Values are built


def test_an_integer_float64_cannot_hold_exactly_is_refused(model: MLP, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    model.save(path)
    doc = json.loads(path.read_text())
    first = next(iter(doc["state"]))
    text = path.read_text().replace(json.dumps(doc["state"][first]), "1" + "0" * 400, 1)
    path.write_text(text)
    before = model.state_dict()
    with pytest.raises(
        ModelFileError,
        match=r"expected a finite number \(an integer at most 2\*\*53 in size, held exactly by float64\), "
        r"got <an integer of about 400 digits>",
    ):
        model.load(path)
    assert model.state_dict() == before
