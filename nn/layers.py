"""Neuron, Layer and MLP: micrograd's shapes, on the engine's one-node dot and batch lanes.

A neuron computes z = w·x + b as one ``dot`` node (or, with ``expanded=True``, as the
w0*x0 + w1*x1 + ... + b chain of the teaching pictures) and then a = g(z). Nodes carry
labels that read like the seeds' notation: ``L0.N3.w1`` (layer 0, neuron 3, weight 1; all
indices from 0, matching ``model.layers[0].neurons[3].w[1]``), ``L0.N3.b``, ``L0.N3.z``,
``L0.N3.a``.

Input: a list of numbers or Values (one sample: a scalar graph), a 1-D array of length nin
(one sample), or a 2-D array of shape (batch, nin): then column j enters as a laned constant
and every node of the graph carries the whole batch.

Example:
    >>> import numpy as np
    >>> from nn import MLP
    >>> model = MLP(2, [16, 16, 1], seed=0)        # relu hidden, linear output
    >>> out = model([0.5, -1.0]); batch = model(np.array([[0.5, -1.0], [0.0, 0.0]]))
    >>> type(out).__name__, batch.lanes, bool(abs(out.data - batch.data[0]) < 1e-12)
    ('Value', 2, True)
    >>> model(np.zeros((100, 2))).lanes
    100
"""

from __future__ import annotations

import math
import numbers
import random
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograd_core import DomainError, OperandTypeError, ShapeError, Value, apply, ops
from autograd_core.errors import excerpt
from autograd_core.fused import FUSABLE, act_rows, dot_rows
from autograd_core.params import ParamBuffer, Parameter, pack
from autograd_core.value import record

from . import activations as acts
from .errors import ConfigError
from .modelfile import check_config
from .module import Module, summary_table

__all__ = ["INITS", "MLP", "Layer", "Linear", "Neuron", "init_weights", "micrograd_rng", "resolve_init"]

_DOT = ops.DOT
# Fast paths: the Value methods themselves for the common activations (no dispatch wrapper).
_METHODS = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "softplus": Value.softplus}

INITS: tuple[str, ...] = ("he", "xavier_uniform", "xavier_normal", "lecun", "small", "uniform", "micrograd", "zeros")
_INIT_ALIASES = {"xavier": "xavier_normal", "auto": "auto"}
_RELU_FAMILY = {"relu", "leaky_relu", "elu", "softplus"}
_ZEROS_WARNING = (
    "init='zeros': every neuron of a layer starts identical, so they all receive the same gradient and stay "
    "identical (the symmetry problem): the layer behaves like a single neuron. Use 'he' or 'xavier' to train."
)


# --- initialisation -----------------------------------------------------------------------


def resolve_init(init: str, activation: str = "relu") -> str:
    """The initialisation scheme for a name; ``"auto"`` picks by activation.

    ``auto``: he for the relu family (relu, leaky_relu, elu, softplus), xavier_normal
    otherwise (tanh, sigmoid, linear, softmax, custom).

    Example:
        >>> resolve_init("auto", "relu"), resolve_init("auto", "tanh"), resolve_init("xavier")
        ('he', 'xavier_normal', 'xavier_normal')
    """
    if not isinstance(init, str):
        raise OperandTypeError(
            f"init must be a name, got {type(init).__name__}; valid names: auto, xavier, " + ", ".join(INITS)
        )
    key = init.strip().lower()
    key = _INIT_ALIASES.get(key, key)
    if key == "auto":
        return "he" if activation in _RELU_FAMILY else "xavier_normal"
    if key not in INITS:
        raise ConfigError(f"unknown init {excerpt(init)}; valid names: auto, xavier, {', '.join(INITS)}")
    return key


def init_weights(
    init: str, activation: str, nin: int, nout: int, rng: np.random.Generator | random.Random
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a layer's W (nout x nin) and b (nout,) with the named scheme from ``rng``.

    he: N(0, 2/nin); xavier_normal: N(0, 2/(nin+nout)); xavier_uniform: U(±sqrt(6/(nin+nout)));
    lecun: N(0, 1/nin); small: N(0, 1) * 0.01 (the seeds); uniform: U(-1, 1) for weights and
    biases; micrograd: U(-1, 1) weights drawn one by one with ``rng.uniform`` (pass Python's
    ``random``, as ``micrograd_rng`` does) and zero biases, micrograd's own; zeros: all zero.
    Biases start at 0 except for ``uniform``.

    Example:
        >>> W, b = init_weights("small", "tanh", 3, 2, np.random.default_rng(0))
        >>> W.shape, b.tolist()
        ((2, 3), [0.0, 0.0])
    """
    scheme = resolve_init(init, activation)
    b = np.zeros(nout)
    if scheme == "he":
        W = rng.normal(0.0, math.sqrt(2.0 / nin), (nout, nin))
    elif scheme == "xavier_normal":
        W = rng.normal(0.0, math.sqrt(2.0 / (nin + nout)), (nout, nin))
    elif scheme == "xavier_uniform":
        limit = math.sqrt(6.0 / (nin + nout))
        W = rng.uniform(-limit, limit, (nout, nin))
    elif scheme == "lecun":
        W = rng.normal(0.0, math.sqrt(1.0 / nin), (nout, nin))
    elif scheme == "small":
        W = rng.standard_normal((nout, nin)) * 0.01
    elif scheme == "uniform":
        W = rng.uniform(-1.0, 1.0, (nout, nin))
        b = rng.uniform(-1.0, 1.0, nout)
    elif scheme == "micrograd":  # micrograd's order: neuron by neuron, weight by weight
        W = np.array([[rng.uniform(-1.0, 1.0) for _ in range(nin)] for _ in range(nout)], dtype=np.float64)
    else:
        W = np.zeros((nout, nin))
    return W, b


def micrograd_rng(seed: Any = None) -> Any:
    """The generator ``init="micrograd"`` draws from: Python's ``random`` module itself when
    ``seed`` is None (so ``random.seed(1337)`` reproduces micrograd's weights), else a private
    ``random.Random(seed)`` (a generator passed as ``seed`` is used as it is).

    Example:
        >>> a, b = micrograd_rng(3), micrograd_rng(3)
        >>> a.uniform(-1, 1) == b.uniform(-1, 1), micrograd_rng() is random
        (True, True)
    """
    if seed is None:
        return random
    if isinstance(seed, (random.Random, np.random.Generator)):
        return seed
    return random.Random(seed)


def _rng(init: str, activation: str, seed: Any) -> Any:
    """The generator for ``init``: Python's (micrograd's) or NumPy's."""
    return micrograd_rng(seed) if resolve_init(init, activation) == "micrograd" else np.random.default_rng(seed)


def _nonlin(activation: Any, nonlin: bool | None, who: str) -> Any:
    """micrograd's ``nonlin``: True is relu, False linear; a bool in the activation's place too."""
    if isinstance(activation, (bool, np.bool_)):
        activation, nonlin = "relu", bool(activation)
    if nonlin is None:
        return activation
    if activation != "relu":
        raise ConfigError(
            f"{who}: give activation or nonlin, not both (got {excerpt(activation)} and nonlin={excerpt(nonlin)})"
        )
    return "relu" if nonlin else "linear"


def _count(n: Any, what: str) -> int:
    if isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_)) and n >= 1:
        return int(n)
    raise ConfigError(f"{what} must be a positive integer, got {excerpt(n)}")


# --- inputs -------------------------------------------------------------------------------


def _expected(nin: int) -> str:
    return f"a list of {nin} numbers or Values, a 1-D array of length {nin}, or a 2-D array of shape (batch, {nin})"


def _prepare(x: Any, nin: int, who: str) -> list[Any]:
    """Check one model input and turn it into nin engine inputs: floats, Values or lane arrays."""
    t = type(x)
    if t is np.ndarray:
        return _prepare_array(x, nin, who)
    if t is list or t is tuple:
        if x and isinstance(x[0], (list, tuple, np.ndarray)):
            return _prepare_array(x, nin, who)
        if len(x) != nin:
            raise ShapeError(f"{who}: got {len(x)} inputs, expected {nin}: {_expected(nin)}")
        out: list[Any] = []
        lanes = set()
        for i, v in enumerate(x):
            tv = type(v)
            if isinstance(v, Value):
                if type(v.data) is np.ndarray:
                    lanes.add(v.data.shape[0])
            elif tv is float or (isinstance(v, numbers.Real) and tv is not bool):
                v = float(v)
                if not math.isfinite(v):
                    raise DomainError(f"{who}: input {i} is not finite ({excerpt(v)})")
            else:
                raise OperandTypeError(f"{who}: input {i} is a {tv.__name__}; expected {_expected(nin)}")
            out.append(v)
        if len(lanes) > 1:
            raise ShapeError(f"{who}: the input Values carry different lane counts {sorted(lanes)}")
        return out
    if nin == 1 and (isinstance(x, Value) or (isinstance(x, numbers.Real) and t is not bool)):
        return _prepare([x], 1, who)
    raise OperandTypeError(f"{who}: unsupported input type {t.__name__}; expected {_expected(nin)}")


def _prepare_array(x: Any, nin: int, who: str) -> list[Any]:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise OperandTypeError(f"{who}: the input array must hold numbers; expected {_expected(nin)}") from None
    if arr.ndim == 1:
        if arr.shape[0] != nin:
            raise ShapeError(f"{who}: got a 1-D array of length {arr.shape[0]}, expected {_expected(nin)}")
        bad = ~np.isfinite(arr)
        if bad.any():
            raise DomainError(f"{who}: input {int(np.flatnonzero(bad)[0])} is not finite")
        return arr.tolist()
    if arr.ndim != 2 or arr.shape[1] != nin or arr.shape[0] == 0:
        raise ShapeError(f"{who}: got an array of shape {arr.shape}, expected {_expected(nin)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DomainError(f"{who}: X[{row}, {col}] is not finite ({excerpt(float(arr[row, col]))})")
    return list(np.ascontiguousarray(arr.T))  # row j of X.T: feature j over the batch, contiguous


# --- modules ------------------------------------------------------------------------------


class Neuron(Module):
    """One neuron: a = g(w·x + b), with nin weights and a bias.

    Parameters:
        nin: number of inputs.
        activation: a name (see ``nn.activations``) or a callable on a Value; not softmax.
        nonlin: micrograd's switch instead: True is relu, False linear.
        init: weight initialisation (see ``init_weights``); ``seed`` seeds it.
        weights, bias: explicit starting values instead (bias 0 by default).
        label: prefix of the node labels ('L0.N3' gives 'L0.N3.w0', ..., 'L0.N3.z').

    Example:
        >>> n = Neuron(2, "tanh", weights=[-3.0, 1.0], bias=6.88)
        >>> a = n([2.0, 0.0]); round(a.data, 4), a.label
        (0.7064, 'a')
        >>> n
        Neuron(2, activation='tanh')
    """

    def __init__(
        self,
        nin: int,
        activation: str | acts.Activation = "relu",
        *,
        nonlin: bool | None = None,
        init: str = "auto",
        seed: int | np.random.Generator | None = None,
        weights: Sequence[float] | np.ndarray | None = None,
        bias: float | None = None,
        label: str = "",
    ) -> None:
        nin = _count(nin, "Neuron: nin")
        activation = _nonlin(activation, nonlin, "Neuron")
        fn = acts.get(activation)
        name = acts.canonical_name(activation)
        if acts.is_layerwise(fn):
            raise ConfigError(f"{name} acts on a whole layer; use Layer(nin, nout, activation={excerpt(name)})")
        if weights is None:
            if resolve_init(init, name) == "zeros":
                warnings.warn(_ZEROS_WARNING, stacklevel=2)
            W, b = init_weights(init, name, nin, 1, _rng(init, name, seed))
            weights, bias = W[0], (b[0] if bias is None else bias)
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (nin,):
            raise ShapeError(f"Neuron: weights must have shape ({nin},), got {w.shape}")
        prefix = f"{label}." if label else ""
        labels = [*(f"{prefix}w{i}" for i in range(nin)), f"{prefix}b"]
        params = ParamBuffer([*w.tolist(), float(0.0 if bias is None else bias)], labels).params
        self.w = params[:nin]  # Parameters: Values whose numbers live in one buffer (autograd_core.params)
        self.b = params[nin]
        self.nin = nin
        self.activation = name
        self._fn = fn
        if fn is acts.identity:
            self._act = None
        else:
            self._act = _METHODS.get(name, fn) if isinstance(activation, str) else fn
        self._zlabel = f"{prefix}z"
        self._alabel = f"{prefix}a"

    def relabel(self, prefix: str) -> None:
        """Rename the neuron's nodes ``{prefix}.w0``, ..., ``{prefix}.b`` and its outputs ``.z``, ``.a``.

        Example:
            >>> n = Neuron(2, "tanh"); n.relabel("L4.N0")
            >>> [p.label for p in n.parameters()], n([1.0, 1.0]).label
            (['L4.N0.w0', 'L4.N0.w1', 'L4.N0.b'], 'L4.N0.a')
        """
        pre = f"{prefix}." if prefix else ""
        for i, w in enumerate(self.w):
            w.label = f"{pre}w{i}"
        self.b.label = f"{pre}b"
        self._zlabel, self._alabel = f"{pre}z", f"{pre}a"

    def parameters(self) -> list[Value]:
        """The weights then the bias (micrograd's order).

        Example:
            >>> [p.label for p in Neuron(2, label="L0.N0").parameters()]
            ['L0.N0.w0', 'L0.N0.w1', 'L0.N0.b']
        """
        return self._param_list([*self.w, self.b])

    def _forward(self, xs: list[Any], expanded: bool) -> Value:
        """z = w·x + b then a = g(z), on already-checked inputs (the hot path: no validation)."""
        if expanded:
            w = self.w
            z = w[0] * xs[0]
            for i in range(1, len(w)):
                z = z + w[i] * xs[i]
            z = z + self.b
        else:
            z = apply(_DOT, *self.w, self.b, *xs, 1.0)  # w·x + b·1: one graph node
        return self._activate(z)

    def _activate(self, z: Value) -> Value:
        """Label z, then a = g(z) labelled."""
        z.label = self._zlabel
        act = self._act
        if act is None:
            return z
        a = act(z)
        a.label = self._alabel
        return a

    def __call__(self, x: Any, expanded: bool = False) -> Value:
        """The neuron's output for one input (see the module docstring for input forms).

        Example:
            >>> Neuron(2, "linear", weights=[1.0, 2.0], bias=0.5)([1.0, 1.0]).data
            3.5
        """
        return self._forward(_prepare(x, self.nin, "Neuron"), expanded)

    def config(self) -> dict[str, Any]:
        """The architecture as JSON data.

        Example:
            >>> Neuron(3, "tanh").config()
            {'type': 'Neuron', 'nin': 3, 'activation': 'tanh'}
        """
        _check_named(self._fn, self.activation)
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Neuron:
        """A zero-weight Neuron from ``config()`` data (for ``Neuron.load``).

        Example:
            >>> Neuron.from_config({"type": "Neuron", "nin": 2, "activation": "relu"})
            Neuron(2, activation='relu')
        """
        check_config(config, "Neuron")
        return cls(config["nin"], config["activation"], weights=[0.0] * config["nin"])

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class _ViewCache:
    """A layer's views of its buffer block and the key they were made for.

    A copied or unpickled layer gets an empty cache: the views belong to the original's buffer.
    """

    __slots__ = ("key", "views")

    def __init__(self) -> None:
        self.key: Any = None
        self.views: tuple[np.ndarray, np.ndarray] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> _ViewCache:
        return _ViewCache()

    def __reduce__(self) -> Any:
        return (_ViewCache, ())


def _laned(xs: list[Any]) -> bool:
    x = xs[0]
    return type(x) is np.ndarray or (type(x) is Value and type(x.data) is np.ndarray)


class Layer(Module):
    """A fully connected layer of ``nout`` neurons, each seeing all ``nin`` inputs.

    With ``activation="softmax"`` the neurons are linear and the layer returns the softmax of
    their outputs. ``weights`` (nout x nin) and ``biases`` (nout) set explicit values.
    ``nonlin`` is micrograd's switch (True: relu, False: linear) instead of ``activation``.

    Example:
        >>> layer = Layer(2, 3, "softmax", weights=np.zeros((3, 2)))
        >>> [round(p.data, 4) for p in layer([1.0, 2.0])]
        [0.3333, 0.3333, 0.3333]
        >>> layer
        Layer(2, 3, activation='softmax')
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | acts.Activation = "relu",
        *,
        nonlin: bool | None = None,
        init: str = "auto",
        seed: int | np.random.Generator | None = None,
        weights: Sequence[Sequence[float]] | np.ndarray | None = None,
        biases: Sequence[float] | np.ndarray | None = None,
        index: int = 0,
    ) -> None:
        nin, nout = _count(nin, "Layer: nin"), _count(nout, "Layer: nout")
        activation = _nonlin(activation, nonlin, "Layer")
        fn = acts.get(activation)
        name = acts.canonical_name(activation)
        layerwise = acts.is_layerwise(fn)
        if weights is None:
            if resolve_init(init, name) == "zeros":
                warnings.warn(_ZEROS_WARNING, stacklevel=2)
            weights, drawn = init_weights(init, name, nin, nout, _rng(init, name, seed))
            biases = drawn if biases is None else biases
        W = np.asarray(weights, dtype=np.float64)
        b = np.zeros(nout) if biases is None else np.asarray(biases, dtype=np.float64).reshape(-1)
        if W.shape != (nout, nin):
            raise ShapeError(f"Layer {index}: W must have shape ({nout}, {nin}) (nout x nin), got {W.shape}")
        if b.shape != (nout,):
            raise ShapeError(f"Layer {index}: b must have length {nout}, got shape {b.shape}")
        neuron_act = "linear" if layerwise else activation
        self.neurons = [Neuron(nin, neuron_act, weights=W[j], bias=b[j], label=f"L{index}.N{j}") for j in range(nout)]
        self.nin = nin
        self.nout = nout
        self.activation = name
        self.index = index
        self._fn = fn
        self._layerwise = fn if layerwise else None
        self._alabels = [f"L{index}.N{j}.a" for j in range(nout)]
        pack(self.parameters())  # one buffer for the layer, row j = [*w_j, b_j]
        self._block = _ViewCache()

    def relabel(self, index: int) -> None:
        """Number the layer ``index``: its nodes become ``L{index}.N{j}.w{i}``, ``.b``, ``.z``, ``.a``.

        ``nn.Sequential`` calls it with the layer's position (PyTorch's ``model[i]``).

        Example:
            >>> layer = Layer(2, 3, "softmax"); layer.relabel(4)
            >>> layer.neurons[1].w[0].label, layer([1.0, 2.0])[2].label
            ('L4.N1.w0', 'L4.N2.a')
        """
        self.index = index
        for j, neuron in enumerate(self.neurons):
            neuron.relabel(f"L{index}.N{j}")
        self._alabels = [f"L{index}.N{j}.a" for j in range(self.nout)]

    def parameters(self) -> list[Value]:
        """Each neuron's weights then its bias, neuron by neuron (micrograd's order).

        Example:
            >>> len(Layer(2, 3).parameters())
            9
        """
        return self._param_list([p for n in self.neurons for p in (*n.w, n.b)])

    def param_block(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Views (values, grads) of shape (nout, nin + 1) of the buffer slots holding [W | b].

        None when the layer's parameters are not one run of slots of one buffer (a parameter was
        replaced by another object); the layer then reads them one by one.

        Example:
            >>> data, grad = Layer(2, 3, weights=np.ones((3, 2))).param_block()
            >>> data.tolist()
            [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
        """
        first = self.neurons[0].w[0]
        buf = first._buf if type(first) is Parameter else None
        key = None if buf is None else (buf, first._i, buf.generation)
        cache = self._block
        if key != cache.key or key is None:
            cache.key, cache.views = key, None
            params = self.parameters()
            start, size = (first._i, len(params)) if buf is not None else (0, 0)
            if buf is not None and all(
                type(p) is Parameter and p._buf is buf and p._i == start + k for k, p in enumerate(params)
            ):
                shape = (self.nout, self.nin + 1)
                cache.views = (
                    buf.data[start : start + size].reshape(shape),
                    buf.grad[start : start + size].reshape(shape),
                )
        return cache.views

    def _forward(self, xs: list[Any], expanded: bool) -> list[Value]:
        neurons = self.neurons
        if not expanded and _laned(xs):  # one matrix product for the whole layer
            zs = dot_rows([n.w for n in neurons], [n.b for n in neurons], xs, self.param_block())
            first = neurons[0]
            op = FUSABLE.get(first.activation) if first._act is _METHODS.get(first.activation) else None
            outs = act_rows(op, zs) if op is not None else None  # the activation in one array op
            if outs is None:
                outs = [n._activate(z) for n, z in zip(neurons, zs)]
            else:
                for n, z, a in zip(neurons, zs, outs):
                    z.label, a.label = n._zlabel, n._alabel
        elif not expanded and (block := self.param_block()) is not None:
            outs = self._forward_one(xs, block[0])
        else:
            outs = [n._forward(xs, expanded) for n in neurons]
        if self._layerwise is not None:
            outs = self._layerwise(outs)
            for a, label in zip(outs, self._alabels, strict=True):
                a.label = label
        return outs

    def _forward_one(self, xs: list[Any], W: np.ndarray) -> list[Value]:
        """One sample: each neuron's dot node from the weights' buffer block (read in one call)
        and the inputs' data (read once for every neuron), the same numbers ``apply`` reads."""
        xd = [x._data if isinstance(x, Value) else x for x in xs]
        xd.append(1.0)
        xs1 = (*xs, 1.0)
        return [n._activate(record(_DOT, (*n.w, n.b, *xs1), row + xd)) for n, row in zip(self.neurons, W.tolist())]

    def __call__(self, x: Any, expanded: bool = False) -> Value | list[Value]:
        """The layer's outputs: one Value when nout == 1, else a list (as micrograd's).

        Example:
            >>> Layer(2, 1, "linear", weights=[[1.0, 1.0]])([2.0, 3.0]).data
            5.0
        """
        outs = self._forward(_prepare(x, self.nin, "Layer"), expanded)
        return outs[0] if len(outs) == 1 else outs

    def config(self) -> dict[str, Any]:
        """The architecture as JSON data.

        Example:
            >>> Layer(3, 2, "tanh").config()
            {'type': 'Layer', 'nin': 3, 'nout': 2, 'activation': 'tanh'}
        """
        _check_named(self._fn, self.activation)
        return {"type": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        """A zero-weight Layer from ``config()`` data (for ``Layer.load``).

        Example:
            >>> Layer.from_config({"type": "Layer", "nin": 2, "nout": 3, "activation": "relu"})
            Layer(2, 3, activation='relu')
        """
        check_config(config, "Layer")
        nin, nout = config["nin"], config["nout"]
        return cls(nin, nout, config["activation"], weights=np.zeros((nout, nin)))

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class Linear(Layer):
    """PyTorch's name for a dense layer: ``Linear(in_features, out_features)`` is ``Layer(..., "linear")``.

    No activation unless one is given (``Layer``'s default is relu); everything else is
    ``Layer``'s, and it is saved as a ``Layer``.

    Example:
        >>> fc = Linear(3, 2, seed=0)
        >>> fc, fc.in_features, fc.out_features, isinstance(fc, Layer)
        (Linear(in_features=3, out_features=2), 3, 2, True)
    """

    def __init__(self, in_features: int, out_features: int, activation: str | acts.Activation = "linear", **kw: Any):
        super().__init__(in_features, out_features, activation, **kw)

    @property
    def in_features(self) -> int:
        """Inputs of the layer (``nin``).

        Example:
            >>> Linear(3, 2).in_features
            3
        """
        return self.nin

    @property
    def out_features(self) -> int:
        """Outputs of the layer (``nout``).

        Example:
            >>> Linear(3, 2).out_features
            2
        """
        return self.nout

    def __repr__(self) -> str:
        extra = "" if self.activation == "linear" else f", activation={self.activation!r}"
        return f"Linear(in_features={self.nin}, out_features={self.nout}{extra})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` is micrograd's (relu hidden, linear out).

    Parameters:
        nin: number of inputs.
        nouts: the width of every layer, the last being the output layer.
        activation: the hidden layers' activation: one name/callable, or a list with one per
            hidden layer.
        output_activation: the output layer's ('linear', 'sigmoid', 'softmax', ...).
        init: weight initialisation by name ('auto' picks by each layer's activation;
            'micrograd' draws micrograd's weights from Python's ``random``, so after
            ``random.seed(1337)`` the weights are those of micrograd's demo).
        seed: seeds ``numpy.random.default_rng`` (``random.Random`` for 'micrograd') for
            reproducible weights.
        expanded: build each neuron's sum as w0*x0 + w1*x1 + ... + b instead of one dot node
            (for teaching pictures); values and gradients are identical.

    Calling the model returns ONE Value for a single output, a list of Values otherwise;
    each is a scalar for one sample, laned for a 2-D batch.

    Example:
        >>> model = MLP(2, [4, 3], activation="tanh", output_activation="softmax", seed=0)
        >>> probs = model([1.0, -1.0]); round(sum(p.data for p in probs), 12)
        1.0
        >>> print(model.summary())
        MLP: 2 -> 4 -> 3
        ==========================================
        layer  input -> output  activation  params
        ------------------------------------------
        L0     2 -> 4           tanh            12
        L1     4 -> 3           softmax         15
        ==========================================
        total parameters                        27
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | acts.Activation | Sequence[str | acts.Activation] = "relu",
        output_activation: str | acts.Activation = "linear",
        init: str = "auto",
        seed: int | np.random.Generator | None = None,
        expanded: bool = False,
    ) -> None:
        nin = _count(nin, "MLP: nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence | np.ndarray) or len(nouts) == 0:
            raise ConfigError(
                f"MLP: nouts must be a non-empty list of layer widths, e.g. [16, 16, 1]; got {excerpt(nouts)}"
            )
        nouts = [_count(n, f"MLP: nouts[{i}]") for i, n in enumerate(nouts)]
        if isinstance(activation, (list, tuple)):
            if len(activation) != len(nouts) - 1:
                raise ConfigError(f"MLP: got {len(activation)} hidden activations for {len(nouts) - 1} hidden layers")
            hidden = list(activation)
        else:
            hidden = [activation] * (len(nouts) - 1)
        layer_acts = [*hidden, output_activation]
        names = [acts.canonical_name(a) for a in layer_acts]
        for name, a in zip(names, layer_acts[:-1], strict=False):
            if acts.is_layerwise(acts.get(a)):
                raise ConfigError(f"MLP: {name} is only supported as the output activation")
        schemes = [resolve_init(init, name) for name in names]
        if "zeros" in schemes:
            warnings.warn(_ZEROS_WARNING, stacklevel=2)
        rng = _rng(init, "relu", seed)
        sizes = [nin, *nouts]
        params = [init_weights(init, names[i], sizes[i], sizes[i + 1], rng) for i in range(len(nouts))]
        self._build(nin, layer_acts, [W for W, _ in params], [b for _, b in params], expanded)
        self.init = init
        self.seed = seed if seed is None or isinstance(seed, numbers.Integral) else None

    def _build(
        self,
        nin: int,
        layer_acts: list[Any],
        Ws: list[np.ndarray],
        bs: list[np.ndarray],
        expanded: bool,
    ) -> None:
        self.layers = [
            Layer(W.shape[1], W.shape[0], a, weights=W, biases=b, index=i)
            for i, (W, b, a) in enumerate(zip(Ws, bs, layer_acts, strict=True))
        ]
        self.nin = nin
        self.nouts = [layer.nout for layer in self.layers]
        self.expanded = bool(expanded)
        pack(self.parameters())  # the whole model in one buffer; each layer's [W | b] is a block of it

    @classmethod
    def from_weights(
        cls,
        Ws: Sequence[Any],
        bs: Sequence[Any],
        activations: str | acts.Activation | Sequence[str | acts.Activation] = "relu",
        expanded: bool = False,
    ) -> MLP:
        """Build an MLP from the seeds' matrices: W_l of shape (n_l, n_{l-1}), b_l of length n_l.

        ``activations`` is one name for every layer or a list with one per layer. Column
        biases of shape (n_l, 1) are accepted too.

        Example:
            >>> W1 = [[0.2, 0.15, -0.01], [0.01, -0.1, -0.06], [0.14, -0.2, -0.03]]
            >>> model = MLP.from_weights([W1], [[1.0, 1.0, 1.0]], "tanh")
            >>> [round(a.data, 4) for a in model([1.0, 0.0, 0.0])]
            [0.8337, 0.7658, 0.8144]
        """
        if not isinstance(Ws, Sequence) or not isinstance(bs, Sequence) or isinstance(Ws, str):
            raise OperandTypeError("from_weights: Ws and bs must be lists of arrays (one per layer)")
        if len(Ws) == 0 or len(Ws) != len(bs):
            raise ShapeError(f"from_weights: got {len(Ws)} weight matrices and {len(bs)} bias vectors")
        mats, vecs = [], []
        for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            try:
                W = np.array(W, dtype=np.float64)
                b = np.array(b, dtype=np.float64)
            except (TypeError, ValueError):
                raise OperandTypeError(f"from_weights: layer {i}: weights and biases must be numbers") from None
            if W.ndim != 2 or 0 in W.shape:
                raise ShapeError(f"from_weights: W[{i}] must be a 2-D array (n_out x n_in), got shape {W.shape}")
            if b.ndim == 2 and b.shape[1] == 1:
                b = b[:, 0]
            if b.shape != (W.shape[0],):
                raise ShapeError(f"from_weights: b[{i}] must have length {W.shape[0]}, got shape {b.shape}")
            if i and W.shape[1] != mats[-1].shape[0]:
                raise ShapeError(
                    f"from_weights: W[{i}] has {W.shape[1]} columns but layer {i - 1} has {mats[-1].shape[0]} outputs"
                )
            if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
                raise ShapeError(f"from_weights: layer {i} holds a non-finite weight or bias")
            mats.append(W)
            vecs.append(b)
        if isinstance(activations, (list, tuple)):
            if len(activations) != len(mats):
                raise ConfigError(f"from_weights: got {len(activations)} activations for {len(mats)} layers")
            layer_acts = list(activations)
        else:
            layer_acts = [activations] * len(mats)
        for i, a in enumerate(layer_acts[:-1]):
            if acts.is_layerwise(acts.get(a)):
                raise ConfigError(f"from_weights: layer {i}: {acts.canonical_name(a)} is only supported on the output")
        model = cls.__new__(cls)
        model._build(mats[0].shape[1], layer_acts, mats, vecs, expanded)
        model.init = "from_weights"
        model.seed = None
        return model

    def __call__(self, x: Any, expanded: bool | None = None) -> Value | list[Value]:
        """Forward pass: one Value for a single output, else a list; laned for a 2-D batch.

        Example:
            >>> model = MLP.from_weights([[[1.0, -1.0]]], [[0.5]], "linear")
            >>> model([2.0, 1.0]).data, model(np.array([[2.0, 1.0], [0.0, 0.0]])).data.tolist()
            (1.5, [1.5, 0.5])
        """
        xs = _prepare(x, self.nin, "MLP")
        if expanded is None:
            expanded = self.expanded
        for layer in self.layers:
            xs = layer._forward(xs, expanded)
        return xs[0] if len(xs) == 1 else xs

    def parameters(self) -> list[Value]:
        """Layer by layer, each neuron's weights then its bias (micrograd's order).

        Example:
            >>> len(MLP(2, [16, 16, 1]).parameters())
            337
        """
        return self._param_list([p for layer in self.layers for n in layer.neurons for p in (*n.w, n.b)])

    @property
    def activations(self) -> list[str]:
        """The canonical activation name of every layer, output last.

        Example:
            >>> MLP(2, [3, 1]).activations
            ['relu', 'linear']
        """
        return [layer.activation for layer in self.layers]

    def weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The parameters as the seeds' matrices: (Ws, bs), W_l of shape (n_l, n_{l-1}).

        Example:
            >>> Ws, bs = MLP(2, [3, 1], seed=0).weights()
            >>> [W.shape for W in Ws], [b.shape for b in bs]
            ([(3, 2), (1, 3)], [(3,), (1,)])
        """
        Ws, bs = [], []
        for layer in self.layers:
            block = layer.param_block()
            if block is not None:  # [W | b] straight from the buffer
                Ws.append(block[0][:, : layer.nin].copy())
                bs.append(block[0][:, layer.nin].copy())
            else:
                Ws.append(np.array([[w.data for w in n.w] for n in layer.neurons]))
                bs.append(np.array([n.b.data for n in layer.neurons]))
        return Ws, bs

    def summary(self) -> str:
        """A Keras-like table: each layer's shape, activation and parameter count, and the total.

        Example:
            >>> print(MLP(2, [1]).summary().splitlines()[-1])
            total parameters                         3
        """
        rows = [
            (f"L{i}", f"{layer.nin} -> {layer.nout}", layer.activation, str(layer.num_parameters()))
            for i, layer in enumerate(self.layers)
        ]
        head = ("layer", "input -> output", "activation", "params")
        title = f"MLP: {' -> '.join(str(n) for n in [self.nin, *self.nouts])}"
        return summary_table(title, head, rows, ("  ", "  ", "  "))

    def __repr__(self) -> str:
        return self.summary()

    def config(self) -> dict[str, Any]:
        """The architecture as JSON data (the ``config`` entry of a saved model).

        Example:
            >>> MLP(3, [4, 2], "tanh", "softmax").config()
            {'type': 'MLP', 'nin': 3, 'nouts': [4, 2], 'activations': ['tanh', 'softmax']}
        """
        for layer in self.layers:
            _check_named(layer._fn, layer.activation)
        return {"type": "MLP", "nin": self.nin, "nouts": list(self.nouts), "activations": self.activations}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MLP:
        """A zero-weight MLP from ``config()`` data (for ``MLP.load``).

        Example:
            >>> config = {"type": "MLP", "nin": 2, "nouts": [3, 1], "activations": ["tanh", "sigmoid"]}
            >>> MLP.from_config(config).activations
            ['tanh', 'sigmoid']
        """
        check_config(config, "MLP")
        nin, nouts, names = config["nin"], config["nouts"], config["activations"]
        sizes = [nin, *nouts]
        Ws = [np.zeros((sizes[i + 1], sizes[i])) for i in range(len(nouts))]
        return cls.from_weights(Ws, [np.zeros(n) for n in nouts], names)


# --- config helpers -----------------------------------------------------------------------


def _check_named(fn: acts.Activation, name: str) -> None:
    if name not in acts.NAMES or acts.get(name) is not fn:
        raise ConfigError(f"cannot describe a custom activation ({excerpt(name)}) in a config; use a named activation")
