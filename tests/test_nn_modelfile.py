"""Issue 14 items 4, 7 and 9 (save): one strict validator for every way a model is read.

Round trips are exact for random MLPs and random convolutional Sequentials; a randomly
mutated file either loads as exactly what it says or raises ModelFileError; hostile paths
(FIFO, directory, device, oversized) are refused before a byte is read; save writes through
symlinks, keeps the file's mode and fsyncs.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import stat
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn.files
from nn import MLP, AvgPool2d, Conv2d, Flatten, Layer, MaxPool2d, ModelFileError, Neuron, Sequential, load_model
from nn.modelfile import FORMAT, MAX_MODEL_BYTES

NAMES = ["elu", "leaky_relu", "linear", "relu", "sigmoid", "softplus", "tanh"]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def bits(model) -> dict[str, bytes]:
    return {k: struct.pack("<d", v) for k, v in model.state_dict().items()}


weights = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def mlps(draw) -> MLP:
    nin = draw(st.integers(1, 4))
    nouts = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    names = [draw(st.sampled_from(NAMES)) for _ in nouts]
    if draw(st.booleans()):
        names[-1] = "softmax"
    sizes = [nin, *nouts]
    Ws = [
        np.array(draw(st.lists(weights, min_size=a * b, max_size=a * b))).reshape(b, a)
        for a, b in itertools.pairwise(sizes)
    ]
    bs = [np.array(draw(st.lists(weights, min_size=b, max_size=b))) for b in nouts]
    return MLP.from_weights(Ws, bs, names)


@st.composite
def sequentials(draw) -> Sequential:
    c, h, w = draw(st.integers(1, 2)), draw(st.integers(3, 6)), draw(st.integers(3, 6))
    k = draw(st.integers(1, min(h, w)))
    out = draw(st.integers(1, 3))
    layers: list = [Conv2d(c, out, k, stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1)))]
    layers.append(draw(st.sampled_from(NAMES)))
    shape = layers[0].output_shape((c, h, w))
    if min(shape[1:]) >= 2 and draw(st.booleans()):
        layers.append(draw(st.sampled_from([MaxPool2d, AvgPool2d]))(2))
        shape = layers[-1].output_shape(shape)
    layers += [Flatten(), Layer(int(np.prod(shape)), draw(st.integers(1, 3)), draw(st.sampled_from(NAMES)))]
    model = Sequential(*layers, input_shape=(c, h, w))
    Ws, bs = model.weights()
    Ws = [np.array(draw(st.lists(weights, min_size=W.size, max_size=W.size))).reshape(W.shape) for W in Ws]
    bs = [np.array(draw(st.lists(weights, min_size=b.size, max_size=b.size))) for b in bs]
    model.set_weights(Ws, bs)
    return model


@SETTINGS
@given(model=st.one_of(mlps(), sequentials()))
def test_save_load_round_trip_is_bit_exact(model, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    model.save(path)
    cls = type(model)
    for copy_ in (cls.load(path), load_model(path), cls.from_dict(model.to_dict()), cls.from_json(path.read_text())):
        assert type(copy_) is cls and copy_.config() == model.config()
        assert bits(copy_) == bits(model)
    other = cls.from_config(model.config())
    assert other.load(path) is other and bits(other) == bits(model)


# --- mutations ------------------------------------------------------------------------------

REPLACEMENTS = ["2", 2.0, 2, -1, 0, True, None, [], {}, [2, 2], "TANH", "relu", "softmax", 1e300, 2**60, "x" * 300]


def paths(doc, prefix=()):
    """Every (path to a container, key) inside a document."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


def at(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def same_json(a, b) -> bool:
    """Equal with exact types (2 is not 2.0), as the validator promises; state numbers compare as floats."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@st.composite
def mutated(draw, doc):
    doc = copy.deepcopy(doc)
    where = draw(st.sampled_from(list(paths(doc))))
    parent, key = at(doc, where[:-1]), where[-1]
    action = draw(st.sampled_from(["drop", "add", "retype"]))
    if action == "drop":
        del parent[key]
    elif action == "add":
        target = parent if isinstance(parent, dict) else at(doc, where[:-2]) if len(where) > 1 else doc
        if isinstance(parent, list):
            parent.insert(key, draw(st.sampled_from(REPLACEMENTS)))
        else:
            target[draw(st.sampled_from(["extra", "nin", "type", "layers.0.neurons.0.b", "w.0"]))] = draw(
                st.sampled_from(REPLACEMENTS)
            )
    else:
        parent[key] = draw(st.sampled_from(REPLACEMENTS))
    return doc


@settings(max_examples=150, deadline=None)
@given(data=st.data(), kind=st.sampled_from(["mlp", "seq", "neuron"]))
def test_a_mutated_file_loads_as_exactly_what_it_says_or_raises_model_file_error(data, kind) -> None:
    model = {
        "mlp": lambda: MLP(2, [3, 2], "tanh", "softmax", seed=0),
        "seq": lambda: Sequential(
            Conv2d(1, 2, 2), "relu", Flatten(), Layer(8, 2, "linear"), input_shape=(1, 3, 3), seed=0
        ),
        "neuron": lambda: Neuron(2, "tanh", seed=0),
    }[kind]()
    doc = model.to_dict()
    bad = data.draw(mutated(doc))
    text = json.dumps(bad)
    before = bits(model)
    for load in (type(model).from_json, model.from_json, load_model_from_text):
        try:
            loaded = load(text)
        except ModelFileError as err:
            assert len(str(err)) < 600
            assert bits(model) == before  # a refused file changes nothing
            continue
        # accepted: the model is exactly what the file says
        got = loaded.to_dict()
        assert same_json(got["config"], bad["config"]) and got["format"] == bad["format"]
        assert type(bad["version"]) is int and set(bad) == set(got)
        assert {k: float(v) for k, v in bad["state"].items()} == got["state"]
        assert all(type(v) in (int, float) for v in bad["state"].values())
        model.load_state_dict(dict(zip(before, (struct.unpack("<d", b)[0] for b in before.values()))))


def load_model_from_text(text: str):
    from nn import Module

    return Module.from_json(text)


def test_duplicate_keys_are_refused_at_their_path() -> None:
    text = json.dumps(Neuron(2, seed=0).to_dict())
    cases = {
        text.replace('"version": 1', '"version": 1, "version": 1'): ": version: expected each key once",
        text.replace('"nin": 2', '"nin": 2, "nin": 2'): ": config.nin: expected each key once",
        text.replace('"b": ', '"b": 1.0, "b": '): ": state.b: expected each key once",
        text.replace('"w.0": ', '"w.0": 1.0, "w.0": '): ': state\\["w.0"\\]: expected each key once',
    }
    for bad, match in cases.items():
        with pytest.raises(ModelFileError, match=match):
            Neuron.from_json(bad)
        with pytest.raises(ModelFileError, match=match):
            Neuron(2).from_json(bad)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d["config"].update(nin=2.0), r"config\.nin: expected an integer from 1 to 1,000,000, got 2\.0"),
        (lambda d: d["config"].update(nin="2"), r"config\.nin: expected an integer .*, got '2'"),
        (lambda d: d["config"].update(nin=True), r"config\.nin: expected an integer .*, got True"),
        (
            lambda d: d["config"]["activations"].__setitem__(0, "TANH"),
            r"config\.activations\[0\]: expected an activation name, exactly one of .*, got 'TANH'",
        ),
        (
            lambda d: d["config"]["activations"].__setitem__(0, "identity"),
            r"config\.activations\[0\]: .*got 'identity'",
        ),
        (
            lambda d: d["config"]["activations"].__setitem__(0, "softmax"),
            r"config\.activations\[0\]: expected an elementwise activation",
        ),
        (lambda d: d["config"]["nouts"].__setitem__(1, 3.0), r"config\.nouts\[1\]: expected an integer"),
        (
            lambda d: d.update(version=1.0),
            r": version: expected a version this library reads \(an integer: 1\), got 1\.0",
        ),
        (lambda d: d.update(version="1"), r": version: .*got '1'"),
        (lambda d: d.update(version=True), r": version: .*got True"),
        (lambda d: d.update(version=2), r": version: .*got 2"),
        (lambda d: d.update(extra=1), r": extra: expected only the keys format, version, config, state"),
        (
            lambda d: d["config"].update(extra=1),
            r": config\.extra: expected only the keys type, nin, nouts, activations",
        ),
        (
            lambda d: d["config"].update(type="Layer"),
            r"config\.type: expected 'MLP' \(the class being loaded\), got 'Layer'|config: expected the key 'nout'",
        ),
        (lambda d: d.update(format="keras"), r": format: expected 'autograd-core-model'"),
        (
            lambda d: d["state"].update({"layers.0.neurons.0.b": "0.5"}),
            r'state\["layers\.0\.neurons\.0\.b"\]: expected a finite number, got \'0\.5\'',
        ),
        (
            lambda d: d["state"].update({"layers.0.neurons.0.b": 2**60}),
            r'state\["layers\.0\.neurons\.0\.b"\]: expected a finite number \(an integer at most 2\*\*53',
        ),
        (
            lambda d: d["state"].update(bogus=1.0),
            r"state: expected 17 parameters, as the config describes, but it holds 18"
            r"|state\.bogus: expected only this model's parameter names \(such as 'layers\.0\.neurons\.0\.w\.0'\)",
        ),
        (
            lambda d: d["state"].update(bogus=d["state"].pop("layers.0.neurons.0.b")),
            r"state: expected the parameter 'layers\.0\.neurons\.0\.b'.*missing",
        ),
        (
            lambda d: d["config"].update(nouts=[3000, 3000]),
            r"state: expected 9,015,000 parameters|at most 5,000,000 parameters",
        ),
    ],
)
def test_every_load_path_refuses_the_same_bad_mlp_file_naming_the_field(edit, match, tmp_path: Path) -> None:
    model = MLP(2, [3, 2], "tanh", "softmax", seed=0)
    doc = model.to_dict()
    edit(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    before = bits(model)
    for load in (MLP.load, model.load, load_model):
        with pytest.raises(ModelFileError, match=match) as info:
            load(path)
        assert str(info.value).startswith(str(path) + ": "), "the message starts with the file"
    for load in (MLP.from_dict, model.from_dict):
        with pytest.raises(ModelFileError, match=match):
            load(doc)
    assert bits(model) == before


def seq() -> Sequential:
    return Sequential(
        Conv2d(1, 2, 3, padding=1),
        "relu",
        MaxPool2d(2),
        Flatten(),
        Layer(8, 3, "linear"),
        input_shape=(1, 4, 4),
        seed=0,
    )


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda d: d["config"]["layers"][4].update(nin=9),
            r"config\.layers\[4\]\.nin: expected 8, the size of its input, got 9",
        ),
        (
            lambda d: d["config"]["layers"][0].update(in_channels=3),
            r"config\.layers\[0\]\.in_channels: expected 1, the channels of its input, got 3",
        ),
        (
            lambda d: d["config"]["layers"][0].update(kernel_size=[9, 9]),
            r"config\.layers\[0\]\.kernel_size: expected a window that fits its input \(1, 4, 4\)",
        ),
        (
            lambda d: d["config"]["layers"][0]["padding"].__setitem__(1, 1.0),
            r"config\.layers\[0\]\.padding\[1\]: expected an integer from 0 to 10,000, got 1\.0",
        ),
        (
            lambda d: d["config"]["layers"][1].update(activation="ReLU"),
            r"config\.layers\[1\]\.activation: .*got 'ReLU'",
        ),
        (lambda d: d["config"]["layers"].pop(3), r"config\.layers\[3\]: expected a vector input for a dense layer"),
        (
            lambda d: d["config"]["layers"][2].update(padding=[0, 0]),
            r"config\.layers\[2\]\.padding: expected only the keys type, kernel_size, stride",
        ),
        (
            lambda d: d["config"]["layers"][2].update(type="Dropout"),
            r"config\.layers\[2\]\.type: expected a layer type: Conv2d, ",
        ),
        (lambda d: d["config"].update(input_shape=[1, 4]), r"config\.input_shape: expected a list of 1 or 3 integers"),
        (
            lambda d: d["state"].update({"layers.0.filters.0.w.0.0.0": "__BIG__"}),
            r'state\["layers\.0\.filters\.0\.w\.0\.0\.0"\]: expected a finite number, got inf',
        ),
    ],
)
def test_every_load_path_refuses_the_same_bad_sequential_file(edit, match, tmp_path: Path) -> None:
    model = seq()
    doc = model.to_dict()
    edit(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc).replace('"__BIG__"', "1e999"))  # parses as inf
    for load in (Sequential.load, model.load, load_model):
        with pytest.raises(ModelFileError, match=match):
            load(path)


def test_from_config_uses_the_same_rules() -> None:
    with pytest.raises(ModelFileError, match=r"config\.nin: expected an integer"):
        MLP.from_config({"type": "MLP", "nin": 2.0, "nouts": [1], "activations": ["linear"]})
    with pytest.raises(ModelFileError, match=r"config\.activation: .*got 'TANH'"):
        Layer.from_config({"type": "Layer", "nin": 2, "nout": 1, "activation": "TANH"})
    with pytest.raises(ModelFileError, match=r"config\.layers\[0\]\.stride\[0\]"):
        Sequential.from_config(
            {
                "type": "Sequential",
                "input_shape": [1, 3, 3],
                "layers": [{"type": "MaxPool2d", "kernel_size": [2, 2], "stride": [0, 1]}],
            }
        )


# --- item 4: what is not a regular file, or too big, is refused before reading ------------------


def refused_quickly(path, match: str) -> None:
    """MLP.load(path) must raise ModelFileError at once (a thread, so a hang fails instead of blocking)."""
    outcome: list = []

    def run() -> None:
        try:
            MLP.load(path)
        except BaseException as err:
            outcome.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert outcome, f"MLP.load({path}) did not return"
    assert isinstance(outcome[0], ModelFileError), repr(outcome[0])
    assert match in str(outcome[0])


def test_a_fifo_a_directory_and_a_device_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    refused_quickly(fifo, "is a FIFO (named pipe), not a model file")
    refused_quickly(tmp_path, "is a directory, not a model file")
    refused_quickly("/dev/zero", "is a character device, not a model file")


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path, monkeypatch) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_MODEL_BYTES + 1)  # sparse: costs no disk
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(nn.files.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(ModelFileError, match=r"is 64 MiB, more than the 64 MiB limit of model files"):
        MLP.load(big)
    assert reads == []


def test_a_file_growing_past_the_limit_while_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b"x" * 100)
    with pytest.raises(ModelFileError, match="more than the 10 bytes limit"):
        nn.files.read_regular(path, 10, "model")


# --- item 9: save ---------------------------------------------------------------------------------


def test_save_writes_through_a_symlink_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    os.chmod(target, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    model = MLP(2, [1], seed=0)
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert bits(MLP.load(target)) == bits(model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_save_fsyncs_the_file_and_the_folder(tmp_path: Path, monkeypatch) -> None:
    synced: list[str] = []
    real = os.fsync
    monkeypatch.setattr(
        nn.files.os,
        "fsync",
        lambda fd: synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file") or real(fd),
    )
    MLP(2, [1]).save(tmp_path / "m.json")
    assert synced == ["file", "dir"]


def test_a_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        MLP(2, [1]).save(tmp_path / "m.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.json").st_mode) == 0o640


@pytest.mark.parametrize("name", ["bad\x00name.json", "bad\ud800.json"])
def test_a_nul_byte_or_a_lone_surrogate_in_the_path_is_a_model_file_error(name: str, tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="name"):
        MLP(2, [1]).save(str(tmp_path / name))
    with pytest.raises(ModelFileError, match="name"):
        MLP.load(str(tmp_path / name))
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.json").mkdir()
    with pytest.raises(ModelFileError, match="is a directory; cannot write a model file there"):
        MLP(2, [1]).save(tmp_path / "d.json")


def test_the_format_constant_is_what_save_writes(tmp_path: Path) -> None:
    MLP(2, [1]).save(tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text())["format"] == FORMAT


def test_a_neuron_or_hidden_layer_with_softmax_is_a_model_file_error() -> None:
    # the mutation test rarely draws this exact edit, so it is spelled out (it was a ConfigError)
    with pytest.raises(ModelFileError, match=r"config\.activation: expected an elementwise activation"):
        Neuron.from_dict({**Neuron(2).to_dict(), "config": {"type": "Neuron", "nin": 2, "activation": "softmax"}})
    doc = seq().to_dict()
    doc["config"]["layers"][1]["activation"] = "softmax"
    with pytest.raises(ModelFileError, match=r"config\.layers\[1\]\.activation: expected an elementwise activation"):
        Sequential.from_dict(doc)
