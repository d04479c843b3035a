"""Module: the base of every model: parameters, names, state dicts and JSON files.

A Module finds its parameters by walking its public attributes in the order they were set:
a ``Value`` is a parameter, a ``Module`` is walked recursively, and a list or tuple of them is
walked item by item (so ``layers.0.neurons.3.w.1`` is ``model.layers[0].neurons[3].w[1]``).
Attributes whose name starts with ``_`` are never walked.

Model files are plain JSON, never pickle::

    {"format": "autograd-core-model", "version": 1,
     "config": {...architecture...}, "state": {"layers.0.neurons.0.w.0": 0.25, ...}}

Every way of reading one (``load``, ``from_dict``, ``from_json``, ``load_model``) applies the
rules of ``nn.modelfile``.

Example:
    >>> import os, tempfile
    >>> from nn import MLP
    >>> model = MLP(2, [3, 1], seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> model.save(path)
    >>> copy = MLP.load(path)                 # a new model built from the file
    >>> copy.state_dict() == model.state_dict()
    True
    >>> _ = model.load(path)                  # or load into an existing model of the same shape
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from autograd_core import Value, zero_grad
from autograd_core.errors import excerpt, excerpt_path
from autograd_core.params import ParamList

from .errors import ConfigError, ModelFileError, StateDictError
from .files import atomic_write, read_regular
from .modelfile import (
    CONFIG_KEYS,
    FORMAT,
    MAX_MODEL_BYTES,
    VERSION,
    check_config,
    check_count,
    check_state,
    check_top_level,
    first_difference,
    parse_model_json,
)

__all__ = ["FORMAT", "VERSION", "Module", "load_model", "model_classes", "read_model_file", "summary_table"]


def _walk(obj: Any, name: str) -> Iterator[tuple[str, Value]]:
    if isinstance(obj, Value):
        yield name, obj
    elif isinstance(obj, Module):
        yield from obj._named(name + ".")
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{name}.{i}")


class _ClassOrInstanceMethod:
    """A method that receives the class when called on the class, the instance otherwise."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        functools.update_wrapper(self, func)

    def __get__(self, obj: Any, cls: type) -> Callable[..., Any]:
        return functools.partial(self.func, cls if obj is None else obj)


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


class Module:
    """Base class of Neuron, Layer and MLP (and of your own models).

    Subclasses store their parameters as ``Value`` attributes, sub-modules, or lists of
    either; everything else here (``parameters``, names, state dicts, files) follows.

    Example:
        >>> from autograd_core import Value
        >>> class Line(Module):
        ...     def __init__(self):
        ...         self.w = Value(2.0); self.b = Value(0.5)
        ...     def __call__(self, x):
        ...         return self.w * x + self.b
        >>> line = Line()
        >>> [name for name, _ in line.named_parameters()], line.num_parameters()
        (['w', 'b'], 2)
    """

    # --- parameters -------------------------------------------------------------------

    def _named(self, prefix: str) -> Iterator[tuple[str, Value]]:
        for attr, value in vars(self).items():
            if not attr.startswith("_"):
                yield from _walk(value, prefix + attr)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, e.g. ``('layers.0.neurons.3.w.1', Value)``.

        Example:
            >>> from nn import Neuron
            >>> [name for name, _ in Neuron(2).named_parameters()]
            ['w.0', 'w.1', 'b']
        """
        return list(self._named(""))

    def parameters(self) -> list[Value]:
        """Every parameter (a leaf Value), in a stable order (micrograd's for an MLP).

        Example:
            >>> from nn import Neuron
            >>> len(Neuron(3).parameters())
            4
        """
        return self._param_list([p for _, p in self._named("")])

    def _param_list(self, items: list[Value]) -> ParamList:
        """``items`` as a ParamList, reusing the buffer plan of the last call when nothing changed."""
        last = vars(self).get("_params_seen")
        out = ParamList(items)
        if last is not None and last == items:  # Values compare by identity: a C-speed check
            out._plan = last.plan()  # worked out once, then shared by every later call
        else:
            self._params_seen = out
        return out

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0 (gradients accumulate otherwise).

        Example:
            >>> from nn import Neuron
            >>> n = Neuron(2); n([1.0, 2.0]).backward(); n.zero_grad()
            >>> [p.grad for p in n.parameters()]
            [0.0, 0.0, 0.0]
        """
        zero_grad(self.parameters())

    def num_parameters(self) -> int:
        """How many parameters (numbers) the model has.

        Example:
            >>> from nn import MLP
            >>> MLP(2, [16, 16, 1]).num_parameters()
            337
        """
        return len(self.parameters())

    # --- PyTorch habits -----------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``model(x)`` runs ``forward(x)``: define either one in a subclass (PyTorch defines forward).

        Example:
            >>> from autograd_core import Value
            >>> class Double(Module):
            ...     def forward(self, x):
            ...         return x * 2
            >>> Double()(Value(3.0)).data
            6.0
        """
        if type(self).forward is Module.forward:
            raise NotImplementedError(f"{type(self).__name__} defines neither forward(x) nor __call__(x)")
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The forward pass, as in PyTorch: ``model.forward(x)`` is ``model(x)``.

        Example:
            >>> from nn import MLP
            >>> model = MLP(2, [3, 1], seed=0)
            >>> model.forward([1.0, 2.0]).data == model([1.0, 2.0]).data
            True
        """
        if type(self).__call__ is Module.__call__:
            raise NotImplementedError(f"{type(self).__name__} defines neither forward(x) nor __call__(x)")
        return self(*args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        """PyTorch's training switch: a no-op here (no dropout or batch norm), returns the model.

        Example:
            >>> from nn import MLP
            >>> model = MLP(2, [1]); model.train() is model
            True
        """
        if not isinstance(mode, bool):
            raise ConfigError(f"train(mode): mode must be True or False, got {excerpt(mode, 40)}")
        return self

    def eval(self) -> Module:
        """PyTorch's evaluation switch: a no-op here (no dropout or batch norm), returns the model.

        Example:
            >>> from nn import MLP
            >>> model = MLP(2, [1]); model.eval() is model
            True
        """
        return self

    def to_torch(self) -> Any:
        """This model as a ``torch.nn.Sequential`` in float64 with the same weights (see ``nn.to_torch``).

        Example:
            >>> from nn import MLP
            >>> [type(m).__name__ for m in MLP(2, [3, 1], activation="tanh").to_torch()]
            ['Linear', 'Tanh', 'Linear']
        """
        from .torch_bridge import to_torch

        return to_torch(self)

    # --- state dicts ------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """The parameters as ``{dotted name: float}``, in ``named_parameters`` order.

        Example:
            >>> from nn import Neuron
            >>> list(Neuron(1, seed=0).state_dict())
            ['w.0', 'b']
        """
        return {name: float(p.data) for name, p in self._named("")}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state`` (a dict as made by ``state_dict``).

        Everything is checked before anything changes: a missing, unexpected, non-numeric
        or non-finite entry raises ``StateDictError`` naming the first problem and leaves
        the model unchanged.

        Example:
            >>> from nn import Neuron
            >>> n = Neuron(1); n.load_state_dict({"w.0": 2.0, "b": -1.0}); n.state_dict()
            {'w.0': 2.0, 'b': -1.0}
            >>> n.load_state_dict({"w.0": 2.0})
            Traceback (most recent call last):
            ...
            nn.errors.StateDictError: state dict: missing parameter 'b' (expected 2 entries, got 1)
        """
        if not isinstance(state, Mapping):
            raise StateDictError(f"state dict: expected a mapping of name -> number, got {type(state).__name__}")
        named = self.named_parameters()
        new = []
        for name, p in named:
            if name not in state:
                raise StateDictError(
                    f"state dict: missing parameter {excerpt(name)} (expected {len(named)} entries, got {len(state)})"
                )
            v = state[name]
            if not _is_number(v):
                raise StateDictError(
                    f"state dict: parameter {excerpt(name)} must be a number, got {type(v).__name__} {excerpt(v)}"
                )
            try:
                v = float(v)
            except OverflowError:  # an integer beyond float64's range
                v = math.inf
            if not math.isfinite(v):
                raise StateDictError(f"state dict: parameter {excerpt(name)} is not finite ({excerpt(v)})")
            new.append((p, v))
        if len(state) != len(named):
            known = {name for name, _ in named}
            extra = next(k for k in state if k not in known)
            raise StateDictError(
                f"state dict: unexpected entry {excerpt(extra)} (the model has {len(named)} parameters)"
            )
        for p, v in new:
            p.data = v

    # --- files ------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The architecture as plain JSON data (subclasses that can be saved override it).

        Example:
            >>> from nn import MLP
            >>> MLP(2, [3, 1]).config()
            {'type': 'MLP', 'nin': 2, 'nouts': [3, 1], 'activations': ['relu', 'linear']}
        """
        return {"type": type(self).__name__}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Module:
        """Build a fresh model of this class from ``config`` (as made by ``config()``).

        Example:
            >>> from nn import MLP
            >>> MLP.from_config({"type": "MLP", "nin": 2, "nouts": [1], "activations": ["linear"]})
            MLP: 2 -> 1 ...
        """
        raise ModelFileError(f"{cls.__name__} cannot be built from a config; create it and call .load(path) on it")

    def to_dict(self) -> dict[str, Any]:
        """The model file's content as a dict: format, version, config and state (what ``save`` writes).

        Example:
            >>> from nn import Neuron
            >>> doc = Neuron(1, seed=0).to_dict(); sorted(doc), doc["config"]
            (['config', 'format', 'state', 'version'], {'type': 'Neuron', 'nin': 1, 'activation': 'relu'})
        """
        state = self.state_dict()
        for name, v in state.items():
            if not math.isfinite(v):
                raise ModelFileError(f"cannot save: parameter {excerpt(name)} is not finite ({excerpt(v)})")
        return {"format": FORMAT, "version": VERSION, "config": self.config(), "state": state}

    def save(self, path: str | os.PathLike[str], *, metadata: Mapping[str, Any] | None = None) -> None:
        """Write the model to ``path`` as JSON (format, version, config, state).

        Atomic and durable: a temporary file in the same folder, fsync, rename, fsync of the
        folder. Through a symlink the target is written; an existing file keeps its mode.

        ``metadata``: optional plain JSON data kept beside the model (``backprop train`` keeps
        the task, the loss, the class names and the scaling there for ``backprop predict``).

        ``metadata``: optional plain JSON data kept beside the model (``backprop train`` keeps
        the task, the loss, the class names and the scaling there for ``backprop predict``).

        Example:
            >>> import os, tempfile
            >>> from nn import MLP
            >>> path = os.path.join(tempfile.mkdtemp(), "m.json"); MLP(1, [1]).save(path)
            >>> import json; sorted(json.load(open(path)))
            ['config', 'format', 'state', 'version']
        """
        doc = self.to_dict()
        if metadata is not None:
            doc["metadata"] = dict(metadata)
        try:
            text = json.dumps(doc, indent=1, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise ModelFileError(
                f"cannot save: the metadata is not plain finite JSON data ({excerpt(str(err))})"
            ) from None
        atomic_write(path, (text + "\n").encode("utf-8"), "model")

    @_ClassOrInstanceMethod
    def load(self_or_cls: Any, path: str | os.PathLike[str]) -> Any:
        """Load a model file: ``Cls.load(path)`` builds a new model, ``model.load(path)`` fills ``model``.

        The file is checked before it is read (a regular file of at most
        ``nn.modelfile.MAX_MODEL_BYTES``), then as a whole by the rules of ``nn.modelfile``
        (format, version, config, every parameter); any problem raises ``ModelFileError``
        naming the file and the JSON path of the first bad field, and an existing model is
        left unchanged. ``Module.load(path)`` builds whichever model the file holds.

        Example:
            >>> import os, tempfile
            >>> from nn import MLP
            >>> path = os.path.join(tempfile.mkdtemp(), "m.json"); MLP(2, [2, 1], seed=1).save(path)
            >>> MLP.load(path).nouts
            [2, 1]
        """
        source = excerpt_path(path)
        doc = parse_model_json(read_regular(path, MAX_MODEL_BYTES, "model"), source)
        return _from_document(self_or_cls, doc, source)

    @_ClassOrInstanceMethod
    def from_dict(self_or_cls: Any, doc: Any) -> Any:
        """``load`` from a dict (as ``to_dict`` makes, or parsed JSON): the same checks, the same errors.

        Example:
            >>> from nn import Neuron
            >>> n = Neuron(2, seed=0); Neuron.from_dict(n.to_dict()).state_dict() == n.state_dict()
            True
            >>> Neuron.from_dict({**n.to_dict(), "version": "1"})
            Traceback (most recent call last):
            ...
            nn.errors.ModelFileError: <dict>: version: expected a version this library reads (an integer: 1), got '1'
        """
        return _from_document(self_or_cls, doc, "<dict>")

    @_ClassOrInstanceMethod
    def from_json(self_or_cls: Any, text: str | bytes) -> Any:
        """``load`` from JSON text: the same checks (duplicate keys, NaN, ...), the same errors.

        Example:
            >>> import json
            >>> from nn import Neuron
            >>> text = json.dumps(Neuron(1, seed=0).to_dict())
            >>> Neuron.from_json(text.replace('"nin": 1', '"nin": 1, "nin": 1'))
            Traceback (most recent call last):
            ...
            nn.errors.ModelFileError: <json>: config.nin: expected each key once, but this key appears more than once
        """
        return _from_document(self_or_cls, parse_model_json(text, "<json>"), "<json>")


def model_classes() -> dict[str, type[Module]]:
    """The model classes a file can name in ``config.type``.

    Example:
        >>> sorted(model_classes())
        ['Layer', 'MLP', 'Neuron', 'Sequential']
    """
    from .layers import MLP, Layer, Neuron
    from .sequential import Sequential

    return {"Neuron": Neuron, "Layer": Layer, "MLP": MLP, "Sequential": Sequential}


def load_model(path: str | os.PathLike[str]) -> Module:
    """The model saved in ``path``, of the class its config names (Neuron, Layer, MLP or Sequential).

    Example:
        >>> import os, tempfile
        >>> from nn import MLP
        >>> path = os.path.join(tempfile.mkdtemp(), "m.json"); MLP(2, [1]).save(path)
        >>> type(load_model(path)).__name__
        'MLP'
    """
    return Module.load(path)


def _from_document(target: Any, doc: Any, source: str) -> Module:
    """Check ``doc`` (nn.modelfile's rules) and build or fill the model; nothing changes on an error."""
    check_top_level(doc, source)
    config, kind = doc["config"], doc["config"].get("type")
    ours = type(kind) is str and kind in CONFIG_KEYS
    if isinstance(target, type):
        if target is Module:  # any model this library can describe
            check_count(doc, check_config(config, None, source), source)
            cls = model_classes()[kind]
        else:
            cls = target
            if kind != cls.__name__:
                raise ModelFileError(
                    f"{source}: config.type: expected {cls.__name__!r} (the class being loaded), got {excerpt(kind)}"
                )
            if ours:  # a class of your own checks its config in its from_config
                check_count(doc, check_config(config, None, source), source)
        try:
            model = cls.from_config(config)
        except ModelFileError as err:
            raise ModelFileError(f"{source}: {err}") from None
    else:
        model = target
        if kind != model.config()["type"]:
            raise ModelFileError(
                f"{source}: config.type: expected {excerpt(model.config()['type'])} (the class being loaded), "
                f"got {excerpt(kind)}"
            )
        if ours:
            check_config(config, None, source)
        diff = first_difference(config, model.config())
        if diff:
            raise ModelFileError(f"{source}: {diff}")
    values = check_state(doc["state"], [name for name, _ in model.named_parameters()], source)
    model.load_state_dict(values)
    return model


def read_model_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``path`` (a regular file within the size limit) and check its top level; the document.

    ``load`` checks the rest (config, state). A missing file raises ``FileNotFoundError``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
        >>> _ = open(path, "w").write('{"format": "autograd-core-model", "version": 1, "config"')
        >>> read_model_file(path)
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: ...bad.json: not valid JSON (truncated or corrupted?): ...
    """
    source = excerpt_path(path)
    doc = parse_model_json(read_regular(path, MAX_MODEL_BYTES, "model"), source)
    check_top_level(doc, source)
    return doc


def summary_table(title: str, head: tuple[str, ...], rows: list[tuple[str, ...]], gaps: tuple[str, ...]) -> str:
    """A Keras-like summary: a title, the columns (the last, a parameter count, right-aligned) and the total.

    ``gaps`` are the separators between the columns; the footer sums the last column.

    Example:
        >>> print(summary_table("net", ("layer", "kind", "params"), [("L0", "dense", "12")], ("  ", "    ")))
        net
        ======================
        layer  kind     params
        ----------------------
        L0     dense        12
        ======================
        total parameters    12
    """
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]

    def line(r: tuple[str, ...]) -> str:
        cells = [c.ljust(w) for c, w in zip(r[:-1], widths)] + [r[-1].rjust(widths[-1])]
        return "".join(c + g for c, g in zip(cells, (*gaps, "")))

    width = sum(widths) + sum(map(len, gaps))
    total = str(sum(int(r[-1]) for r in rows))
    foot = "total parameters" + total.rjust(width - len("total parameters"))
    return "\n".join([title, "=" * width, line(head), "-" * width, *map(line, rows), "=" * width, foot])
