"""Module: the base of every model: parameters, names, state dicts and JSON files.

A Module finds its parameters by walking its public attributes in the order they were set:
a ``Value`` is a parameter, a ``Module`` is walked recursively, and a list or tuple of them is
walked item by item (so ``layers.0.neurons.3.w.1`` is ``model.layers[0].neurons[3].w[1]``).
Attributes whose name starts with ``_`` are never walked.

Model files are plain JSON, never pickle::

    {"format": "autograd-core-model", "version": 1,
     "config": {...architecture...}, "state": {"layers.0.neurons.0.w.0": 0.25, ...}}

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

import contextlib
import functools
import itertools
import json
import math
import numbers
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core import Value, zero_grad
from autograd_core.params import ParamList

from .errors import ModelFileError, StateDictError

FORMAT = "autograd-core-model"
VERSION = 1

__all__ = ["FORMAT", "VERSION", "Module", "summary_table"]


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
                    f"state dict: missing parameter {name!r} (expected {len(named)} entries, got {len(state)})"
                )
            v = state[name]
            if not _is_number(v):
                raise StateDictError(
                    f"state dict: parameter {name!r} must be a number, got {type(v).__name__} {v!r:.40}"
                )
            try:
                v = float(v)
            except OverflowError:  # an integer beyond float64's range
                v = math.inf
            if not math.isfinite(v):
                raise StateDictError(f"state dict: parameter {name!r} is not finite ({v!r})")
            new.append((p, v))
        if len(state) != len(named):
            known = {name for name, _ in named}
            extra = next(k for k in state if k not in known)
            raise StateDictError(f"state dict: unexpected entry {extra!r} (the model has {len(named)} parameters)")
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

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` as JSON (format, version, config, state); atomic.

        Example:
            >>> import os, tempfile
            >>> from nn import MLP
            >>> path = os.path.join(tempfile.mkdtemp(), "m.json"); MLP(1, [1]).save(path)
            >>> import json; sorted(json.load(open(path)))
            ['config', 'format', 'state', 'version']
        """
        state = self.state_dict()
        for name, v in state.items():
            if not math.isfinite(v):
                raise ModelFileError(f"cannot save: parameter {name!r} is not finite ({v!r})")
        doc = {"format": FORMAT, "version": VERSION, "config": self.config(), "state": state}
        text = json.dumps(doc, indent=1, allow_nan=False)
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a saved model is an ordinary file
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @_ClassOrInstanceMethod
    def load(self_or_cls: Any, path: str | os.PathLike[str]) -> Any:
        """Load a model file: ``Cls.load(path)`` builds a new model, ``model.load(path)`` fills ``model``.

        The whole file is checked first (JSON syntax, format, version, config, every
        parameter); any problem raises ``ModelFileError`` naming the first one, and an existing
        model is left unchanged. Returns the model.

        Example:
            >>> import os, tempfile
            >>> from nn import MLP
            >>> path = os.path.join(tempfile.mkdtemp(), "m.json"); MLP(2, [2, 1], seed=1).save(path)
            >>> MLP.load(path).nouts
            [2, 1]
        """
        doc = read_model_file(path)
        if isinstance(self_or_cls, type):
            cfg = doc["config"]
            kind = cfg.get("type")
            if kind != self_or_cls.__name__:
                raise ModelFileError(f"{path}: config: the file holds a {kind!r}, not a {self_or_cls.__name__!r}")
            implied = _implied_parameter_count(cfg)
            if implied is not None and implied != len(doc["state"]):  # before building a huge model
                raise ModelFileError(
                    f"{path}: config describes {implied} parameters but the state holds {len(doc['state'])}"
                )
            try:
                model = self_or_cls.from_config(cfg)
            except ModelFileError as err:
                raise ModelFileError(f"{path}: {err}") from None
        else:
            model = self_or_cls
            ours, theirs = model.config(), doc["config"]
            if ours != theirs:
                key = next((k for k in [*ours, *theirs] if ours.get(k) != theirs.get(k)), "?")
                raise ModelFileError(
                    f"{path}: config: {key} is {theirs.get(key)!r} in the file but {ours.get(key)!r} in this model"
                )
        try:
            model.load_state_dict(doc["state"])
        except StateDictError as err:
            raise ModelFileError(f"{path}: {err}") from None
        return model


def _implied_parameter_count(cfg: Mapping[str, Any]) -> int | None:
    """Parameters a Neuron, Layer or MLP config describes (None when its sizes are not ints)."""
    nin, nout, nouts = cfg.get("nin"), cfg.get("nout", 1), cfg.get("nouts")
    sizes = [nin, *nouts] if isinstance(nouts, list) else [nin, nout]
    if len(sizes) < 2 or not all(type(n) is int and n > 0 for n in sizes):
        return None  # from_config names the problem
    return sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def read_model_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check the envelope of a model file: JSON, format, version, config and state.

    Raises ``ModelFileError`` for a malformed, truncated or foreign file (a missing file
    raises the usual ``FileNotFoundError``). The state's entries are checked by
    ``load_state_dict``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
        >>> _ = open(path, "w").write('{"format": "autograd-core-model", "version": 1, "config"')
        >>> read_model_file(path)
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: ...bad.json: not valid JSON (truncated or corrupted?): ...
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ModelFileError(f"{path}: not a UTF-8 text file ({err.reason} at byte {err.start})") from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as err:
        raise ModelFileError(f"{path}: not valid JSON (truncated or corrupted?): {err}") from None
    if not isinstance(doc, dict):
        raise ModelFileError(f"{path}: expected a JSON object at the top, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise ModelFileError(f"{path}: format is {doc.get('format')!r}, expected {FORMAT!r}")
    version = doc.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ModelFileError(f"{path}: version {version!r} is not supported; this library reads version {VERSION}")
    for key in ("config", "state"):
        if key not in doc:
            raise ModelFileError(f"{path}: the {key!r} entry is missing")
        if not isinstance(doc[key], dict):
            raise ModelFileError(f"{path}: {key!r} must be a JSON object, got {type(doc[key]).__name__}")
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
