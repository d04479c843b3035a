"""Model files: one strict validator behind every way a model is read.

A model file is JSON, never pickle::

    {"format": "autograd-core-model", "version": 1,
     "config": {"type": "MLP", ...architecture...}, "state": {"layers.0.neurons.0.w.0": 0.25, ...}}

``Cls.load(path)``, ``model.load(path)``, ``Cls.from_dict(doc)``, ``Cls.from_json(text)``,
``nn.load_model(path)`` and every ``from_config`` go through the checks here, so they accept
and refuse the same files. The rules:

- the file: a regular file (not a directory, FIFO or device) of at most ``MAX_MODEL_BYTES``,
  checked before it is read; UTF-8; JSON without duplicate keys, ``NaN`` or ``Infinity``;
- the top level: exactly the keys ``format``, ``version``, ``config``, ``state``; ``format`` is
  ``"autograd-core-model"``; ``version`` is a JSON integer this library reads (``1.0``, ``"1"``
  and ``true`` are refused);
- ``config``: the keys of its ``type`` (``Neuron``, ``Layer``, ``MLP``, ``Sequential``), no
  others; counts are JSON integers (``2.0`` and ``"2"`` are refused) within bounds; activation
  names are written exactly as ``save`` writes them (lower case, canonical: ``"TANH"`` and the
  alias ``"identity"`` are refused); each layer's input must be the previous layer's output;
  at most ``MAX_PARAMETERS`` parameters;
- ``state``: exactly the model's parameter names, each a finite JSON number (an integer only
  when float64 holds it exactly).

Each error is one ``ModelFileError``: the file, the JSON path of the bad field, what was
expected and a short excerpt of what was found.

Example:
    >>> import json
    >>> doc = {"format": FORMAT, "version": 1, "config": {"type": "Neuron", "nin": 2.0, "activation": "tanh"},
    ...        "state": {"w.0": 0.5, "w.1": -0.5, "b": 0.0}}
    >>> check_document(doc, "m.json")
    Traceback (most recent call last):
    ...
    nn.errors.ModelFileError: m.json: config.nin: expected an integer from 1 to 1,000,000, got 2.0
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from autograd_core.errors import excerpt

from . import activations as acts
from .errors import ModelFileError

__all__ = [
    "FORMAT",
    "MAX_MODEL_BYTES",
    "MAX_PARAMETERS",
    "VERSION",
    "VERSIONS",
    "check_config",
    "check_count",
    "check_document",
    "check_layer",
    "check_state",
    "check_top_level",
    "first_difference",
    "parse_model_json",
]

FORMAT = "autograd-core-model"
VERSION = 1  # what save writes
VERSIONS = (1,)  # what load reads
MAX_MODEL_BYTES = 64 * 2**20  # 64 MiB: about a million parameters
MAX_PARAMETERS = 5_000_000  # a config describing more is refused before anything is built
MAX_COUNT = 1_000_000  # widths, channels
MAX_SIDE = 100_000  # an input dimension
MAX_WINDOW = 10_000  # a kernel, stride or padding
MAX_LAYERS = 1000

TOP_KEYS = ("format", "version", "config", "state")
OPTIONAL_TOP_KEYS = ("metadata",)  # a JSON object: what backprop train keeps for backprop predict
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "Neuron": ("type", "nin", "activation"),
    "Layer": ("type", "nin", "nout", "activation"),
    "MLP": ("type", "nin", "nouts", "activations"),
    "Sequential": ("type", "input_shape", "layers"),
}
LAYER_KEYS: dict[str, tuple[str, ...]] = {
    "Conv2d": ("type", "in_channels", "out_channels", "kernel_size", "stride", "padding"),
    "MaxPool2d": ("type", "kernel_size", "stride"),
    "AvgPool2d": ("type", "kernel_size", "stride"),
    "Flatten": ("type",),
    "Activation": ("type", "activation"),
    "Layer": ("type", "nin", "nout", "activation"),
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_EXACT_INT = 2**53  # beyond this a JSON integer would be rounded on its way into float64


class _Duplicated(dict):  # type: ignore[type-arg]
    """A JSON object in which a key appeared more than once (the validator names it and its path)."""

    __slots__ = ("twice",)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) == len(pairs):
        return d
    seen: set[str] = set()
    out = _Duplicated(d)
    out.twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def parse_model_json(raw: bytes | str, source: str = "model") -> Any:
    """Parse model JSON: UTF-8 text, no NaN/Infinity; objects with a repeated key are marked for the validator.

    Example:
        >>> parse_model_json(b'{"version": 1}')
        {'version': 1}
        >>> parse_model_json(b'{"version": NaN}', "m.json")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: m.json: not valid JSON (truncated or corrupted?): NaN is not a valid JSON number
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ModelFileError(f"{source}: not a UTF-8 text file ({err.reason} at byte {err.start})") from None
    try:
        return json.loads(raw, object_pairs_hook=_object, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as err:
        raise ModelFileError(f"{source}: not valid JSON (truncated or corrupted?): {excerpt(str(err))[1:-1]}") from None


class _Checker:
    """The checks, with the name of what is being checked (a file name) for every message."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, expected: str, value: Any = ..., note: str = "") -> NoReturn:
        got = "" if value is ... else f", got {excerpt(value)}"
        where = where or "(top level)"
        place = f"{self.source}: {where}" if self.source else where
        raise ModelFileError(f"{place}: expected {expected}{got}{note}")

    def obj(
        self, value: Any, where: str, keys: tuple[str, ...], what: str, optional: tuple[str, ...] = ()
    ) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"a JSON object ({what})", value)
        if isinstance(value, _Duplicated):
            self.fail(_key(where, value.twice), "each key once, but this key appears more than once")
        for key in keys:
            if key not in value:
                self.fail(where, f"the key {key!r} in {what} (its keys: {', '.join(keys)})", note=", but it is missing")
        for key in value:
            if key not in keys and key not in optional:
                also = f" (and optionally {', '.join(optional)})" if optional else ""
                self.fail(_key(where, key), f"only the keys {', '.join(keys)}{also}", note=", got an unknown key")
        return value

    def count(self, value: Any, where: str, low: int = 1, high: int = MAX_COUNT) -> int:
        if type(value) is not int or not low <= value <= high:
            self.fail(where, f"an integer from {low} to {high:,}", value)
        return value

    def ints(self, value: Any, where: str, sizes: tuple[int, ...], low: int, high: int) -> list[int]:
        if type(value) is not list or len(value) not in sizes:
            n = " or ".join(map(str, sizes))
            self.fail(where, f"a list of {n} integers from {low} to {high:,}", value)
        return [self.count(v, f"{where}[{i}]", low, high) for i, v in enumerate(value)]

    def activation(self, value: Any, where: str, last: bool, why: str = "only supported on the last layer") -> str:
        if type(value) is not str or value not in _CANONICAL:
            self.fail(where, f"an activation name, exactly one of {', '.join(_CANONICAL)}", value)
        if not last and acts.is_layerwise(acts.get(value)):
            self.fail(where, f"an elementwise activation: softmax is {why}", value)
        return value


_CANONICAL = tuple(sorted({acts.canonical_name(name) for name in acts.NAMES}))


def _key(where: str, key: Any) -> str:
    """The JSON path of ``key`` inside ``where``: ``config.nin``, ``state["layers.0.b"]``."""
    if isinstance(key, str) and len(key) <= 80 and _NAME.match(key):
        return f"{where}.{key}" if where else key
    shown = json.dumps(key) if len(key) <= 80 else excerpt(key)
    return f"{where}[{shown}]"


def check_document(doc: Any, source: str = "") -> Mapping[str, Any]:
    """Check a model document's top level, its config and the size of its state (``ModelFileError``).

    The state's names and numbers are checked against the model by ``check_state``.

    Example:
        >>> check_document({"format": FORMAT, "version": 1.0, "config": {}, "state": {}}, "m.json")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: m.json: version: expected a version this library reads (an integer: 1), got 1.0
    """
    check_top_level(doc, source)
    count = _check_config(_Checker(source), doc["config"], "config", None)
    check_count(doc, count, source)
    return doc


def check_top_level(doc: Any, source: str = "") -> None:
    """The top level alone: exactly format, version, config and state, each of the right kind.

    Example:
        >>> check_top_level({"format": FORMAT, "version": 1, "config": {}, "state": {}, "extra": 1}, "m.json")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: m.json: extra: expected only the keys format, version, config, state (and ...
    """
    c = _Checker(source)
    if not isinstance(doc, dict):
        c.fail("(top level)", "a JSON object", doc)
    if isinstance(doc, _Duplicated):
        c.fail(_key("", doc.twice), "each key once, but this key appears more than once")
    if type(doc.get("format")) is not str or doc["format"] != FORMAT:
        c.fail("format", f"{FORMAT!r} (a model file of this library)", doc.get("format"))
    if type(doc.get("version")) is not int or doc["version"] not in VERSIONS:
        readable = ", ".join(map(str, VERSIONS))
        c.fail("version", f"a version this library reads (an integer: {readable})", doc.get("version"))
    c.obj(doc, "", TOP_KEYS, "a model file", optional=OPTIONAL_TOP_KEYS)
    if "metadata" in doc and not isinstance(doc["metadata"], dict):
        c.fail("metadata", "a JSON object (what backprop train keeps for backprop predict)", doc["metadata"])
    if not isinstance(doc["config"], dict):
        c.fail("config", "a JSON object (the model's architecture)", doc["config"])
    if not isinstance(doc["state"], dict):
        c.fail("state", "a JSON object of parameter name -> number", doc["state"])


def check_count(doc: Mapping[str, Any], count: int, source: str = "") -> None:
    """The state must hold ``count`` entries (checked before a model of that size is built).

    Example:
        >>> check_count({"state": {}}, 3, "m.json")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: m.json: state: expected 3 parameters, as the config describes, but it holds 0
    """
    held = len(doc["state"])
    if held != count:
        _Checker(source).fail(
            "state", f"{count:,} parameters, as the config describes", note=f", but it holds {held:,}"
        )


def first_difference(found: Any, ours: Any, where: str = "config") -> str | None:
    """The JSON path and both values where a file's config differs from a model's (None if equal).

    Types count: ``2.0`` differs from ``2``.

    Example:
        >>> first_difference({"nouts": [4, 2]}, {"nouts": [4, 3]})
        'config.nouts[1]: 2 in the file, 3 in this model'
    """
    if isinstance(found, dict) and isinstance(ours, dict):
        for key in [*ours, *(k for k in found if k not in ours)]:
            if key not in found or key not in ours:
                side = "the file" if key in found else "this model"
                return f"{_key(where, key)}: only in {side}"
            diff = first_difference(found[key], ours[key], _key(where, key))
            if diff:
                return diff
        return None
    if isinstance(found, list) and isinstance(ours, list) and len(found) == len(ours):
        for i, (a, b) in enumerate(zip(found, ours)):
            diff = first_difference(a, b, f"{where}[{i}]")
            if diff:
                return diff
        return None
    if type(found) is type(ours) and found == ours:
        return None
    return f"{where}: {excerpt(found)} in the file, {excerpt(ours)} in this model"


def check_config(config: Any, kind: str | None = None, source: str = "") -> int:
    """Check one model config (as ``model.config()`` makes); returns its parameter count.

    ``kind`` is the model class the caller builds (``None``: any). Raises ``ModelFileError``
    naming the JSON path inside the config.

    Example:
        >>> check_config({"type": "MLP", "nin": 2, "nouts": [3, 1], "activations": ["tanh", "linear"]})
        13
        >>> check_config({"type": "Layer", "nin": 2, "nout": 1, "activation": "TANH"})
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: config.activation: expected an activation name, exactly one of elu, ..., got 'TANH'
    """
    return _check_config(_Checker(source), config, "config", kind)


def _check_config(c: _Checker, config: Any, where: str, kind: str | None) -> int:
    if not isinstance(config, dict):
        c.fail(where, "a JSON object (the model's architecture)", config)
    found = config.get("type")
    if type(found) is not str or found not in CONFIG_KEYS:
        c.fail(f"{where}.type", f"a model type: {', '.join(CONFIG_KEYS)}", found)
    if kind is not None and found != kind:
        c.fail(f"{where}.type", f"{kind!r} (the class being loaded)", found)
    cfg = c.obj(config, where, CONFIG_KEYS[found], f"a {found} config")
    if found == "Sequential":
        count = _check_sequential(c, cfg, where)
    else:
        nin = c.count(cfg["nin"], f"{where}.nin")
        if found == "Neuron":
            c.activation(cfg["activation"], f"{where}.activation", False, "for a whole Layer, not one Neuron")
            count = nin + 1
        elif found == "Layer":
            nout = c.count(cfg["nout"], f"{where}.nout")
            c.activation(cfg["activation"], f"{where}.activation", True)
            count = (nin + 1) * nout
        else:
            count = _check_mlp(c, cfg, where, nin)
    if count > MAX_PARAMETERS:
        c.fail(
            where,
            f"at most {MAX_PARAMETERS:,} parameters (the most this library loads)",
            note=f"; it describes {count:,}",
        )
    return count


def _check_mlp(c: _Checker, cfg: Mapping[str, Any], where: str, nin: int) -> int:
    nouts, names = cfg["nouts"], cfg["activations"]
    if type(nouts) is not list or not 1 <= len(nouts) <= MAX_LAYERS:
        c.fail(f"{where}.nouts", f"a list of 1 to {MAX_LAYERS} layer widths", nouts)
    widths = [c.count(n, f"{where}.nouts[{i}]") for i, n in enumerate(nouts)]
    if type(names) is not list or len(names) != len(widths):
        c.fail(f"{where}.activations", f"a list of {len(widths)} activation names, one per layer", names)
    for i, name in enumerate(names):
        c.activation(name, f"{where}.activations[{i}]", i == len(names) - 1)
    sizes = [nin, *widths]
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


def _check_sequential(c: _Checker, cfg: Mapping[str, Any], where: str) -> int:
    shape = tuple(c.ints(cfg["input_shape"], f"{where}.input_shape", (1, 3), 1, MAX_SIDE))
    layers = cfg["layers"]
    if type(layers) is not list or not 1 <= len(layers) <= MAX_LAYERS:
        c.fail(f"{where}.layers", f"a list of 1 to {MAX_LAYERS} layer configs", layers)
    total = 0
    for i, layer in enumerate(layers):
        here = f"{where}.layers[{i}]"
        shape, count = _check_layer(c, layer, here, shape, i == len(layers) - 1)
        total += count
    return total


def check_layer(layer: Any, where: str = "layer") -> int:
    """Check one layer config of a Sequential on its own (keys, numbers, names); its parameter count.

    Example:
        >>> check_layer({"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": [3, 3],
        ...              "stride": [1, 1], "padding": [1.0, 1]}, "layers[0]")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: layers[0].padding[0]: expected an integer from 0 to 10,000, got 1.0
    """
    return _check_layer(_Checker(""), layer, where, None, True)[1]


Shape = tuple[int, ...]


def _check_layer(c: _Checker, layer: Any, here: str, shape: Shape | None, last: bool) -> tuple[Shape | None, int]:
    """One layer of a Sequential: its keys and numbers, and that it takes ``shape`` (None: not checked).

    Returns (output shape, parameter count).
    """
    if not isinstance(layer, dict):
        c.fail(here, "a JSON object (a layer config)", layer)
    kind = layer.get("type")
    if type(kind) is not str or kind not in LAYER_KEYS:
        c.fail(f"{here}.type", f"a layer type: {', '.join(LAYER_KEYS)}", kind)
    cfg = c.obj(layer, here, LAYER_KEYS[kind], f"a {kind} layer")
    if kind == "Flatten":
        return (None if shape is None else (math.prod(shape),)), 0
    if kind == "Activation":
        name = c.activation(cfg["activation"], f"{here}.activation", last)
        if shape is not None and acts.is_layerwise(acts.get(name)) and len(shape) != 1:
            c.fail(here, f"a vector input for {name} (put Flatten before it)", note=f"; it gets shape {shape}")
        return shape, 0
    if kind == "Layer":
        nin, nout = c.count(cfg["nin"], f"{here}.nin"), c.count(cfg["nout"], f"{here}.nout")
        c.activation(cfg["activation"], f"{here}.activation", last)
        if shape is not None and len(shape) != 1:
            c.fail(here, "a vector input for a dense layer (put Flatten before it)", note=f"; it gets shape {shape}")
        if shape is not None and nin != shape[0]:
            c.fail(f"{here}.nin", f"{shape[0]}, the size of its input", nin)
        return (nout,), (nin + 1) * nout
    if shape is not None and len(shape) != 3:
        c.fail(here, f"an image input (channels, height, width) for {kind}", note=f"; it gets shape {shape}")
    kh, kw = c.ints(cfg["kernel_size"], f"{here}.kernel_size", (2,), 1, MAX_WINDOW)
    sh, sw = c.ints(cfg["stride"], f"{here}.stride", (2,), 1, MAX_WINDOW)
    ph, pw, count, channels = 0, 0, 0, None
    if kind == "Conv2d":
        cin = c.count(cfg["in_channels"], f"{here}.in_channels")
        channels = c.count(cfg["out_channels"], f"{here}.out_channels")
        ph, pw = c.ints(cfg["padding"], f"{here}.padding", (2,), 0, MAX_WINDOW)
        count = (cin * kh * kw + 1) * channels
        if shape is not None and cin != shape[0]:
            c.fail(f"{here}.in_channels", f"{shape[0]}, the channels of its input", cin)
    if shape is None:
        return None, count
    height, width = (shape[1] + 2 * ph - kh) // sh + 1, (shape[2] + 2 * pw - kw) // sw + 1
    if height < 1 or width < 1:
        c.fail(f"{here}.kernel_size", f"a window that fits its input {shape} with padding {[ph, pw]}", [kh, kw])
    return (channels or shape[0], height, width), count


def check_state(state: Mapping[str, Any], names: list[str], source: str = "") -> dict[str, float]:
    """The state's numbers as floats, in ``names`` order; ``ModelFileError`` for a missing, unknown or bad entry.

    Example:
        >>> check_state({"w.0": 1, "b": 0.5}, ["w.0", "b"])
        {'w.0': 1.0, 'b': 0.5}
        >>> check_state({"w.0": "1", "b": 0.5}, ["w.0", "b"], "m.json")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: m.json: state["w.0"]: expected a finite number, got '1'
    """
    c = _Checker(source)
    if isinstance(state, _Duplicated):
        c.fail(_key("state", state.twice), "each key once, but this key appears more than once")
    out: dict[str, float] = {}
    for name in names:
        if name not in state:
            c.fail(
                "state",
                f"the parameter {excerpt(name)} (the config describes {len(names):,})",
                note=", but it is missing",
            )
        v = state[name]
        if type(v) is float:
            if not math.isfinite(v):
                c.fail(_key("state", name), "a finite number", v)
        elif type(v) is int:
            if abs(v) > _EXACT_INT:
                c.fail(
                    _key("state", name),
                    "a finite number (an integer at most 2**53 in size, held exactly by float64)",
                    v,
                )
            v = float(v)
        else:
            c.fail(_key("state", name), "a finite number", v)
        out[name] = v
    if len(state) != len(names):
        known = set(names)
        extra = next(k for k in state if k not in known)
        c.fail(
            _key("state", extra),
            f"only this model's parameter names (such as {excerpt(names[0])})",
            note=", got an unknown name",
        )
    return out
