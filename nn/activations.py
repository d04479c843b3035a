"""Activation functions by name or callable, built on the engine's primitives.

Elementwise activations take one Value (scalar or laned) and return one Value; ``softmax`` is
layer-level: it takes the list of a layer's pre-activations and returns a list of
probabilities. ``get`` turns a name (or a callable) into the function.

=============  ==========================================  ==========================
name           g(z)                                        aliases
=============  ==========================================  ==========================
linear         z                                           identity
sigmoid        1 / (1 + e**-z)                             logistic
tanh           tanh(z)
relu           max(z, 0)
leaky_relu     z if z > 0 else 0.01 z
softplus       log(1 + e**z)
elu            z if z > 0 else alpha (e**z - 1), alpha=1
softmax        e**z_i / sum_j e**z_j  (over the layer)
=============  ==========================================  ==========================

Example:
    >>> from autograd_core import Value
    >>> from nn import activations
    >>> activations.get("logistic")(Value(0.0)).data
    0.5
    >>> [round(p.data, 4) for p in activations.softmax([Value(1.0), Value(2.0)])]
    [0.2689, 0.7311]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import autograd_core as ag
from autograd_core import OperandTypeError, Value
from autograd_core.errors import excerpt

from .errors import ConfigError
from .names import ACTIVATION_ALIASES

Activation = Callable[[Any], Any]

__all__ = [
    "ALIASES",
    "NAMES",
    "Activation",
    "canonical_name",
    "elu",
    "get",
    "identity",
    "is_layerwise",
    "leaky_relu",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]


def identity(x: Any) -> Any:
    """The linear activation g(z) = z (returns its input unchanged).

    Example:
        >>> identity(Value(3.0)).data
        3.0
    """
    return x


def sigmoid(x: Any) -> Any:
    """Logistic sigmoid 1 / (1 + e**-z), stable for large |z|.

    Example:
        >>> sigmoid(Value(0.0)).data
        0.5
    """
    return ag.sigmoid(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent.

    Example:
        >>> tanh(Value(0.0)).data
        0.0
    """
    return ag.tanh(x)


def relu(x: Any) -> Any:
    """max(z, 0); its derivative at 0 is 0.

    Example:
        >>> relu(Value(-2.0)).data, relu(Value(3.0)).data
        (0.0, 3.0)
    """
    return ag.relu(x)


def leaky_relu(x: Any, slope: float = 0.01) -> Any:
    """z for z > 0, slope * z otherwise (slope 0.01 by default).

    Example:
        >>> leaky_relu(Value(-2.0)).data
        -0.02
    """
    return ag.leaky_relu(x, slope)


def softplus(x: Any) -> Any:
    """log(1 + e**z), computed without overflow; a smooth relu.

    Example:
        >>> round(softplus(Value(0.0)).data, 6)
        0.693147
    """
    return ag.softplus(x)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: z for z > 0, alpha * (e**z - 1) otherwise.

    Composed as relu(z) + alpha * (exp(z - relu(z)) - 1): z - relu(z) = min(z, 0), so exp
    never overflows, and at z = 0 the derivative is alpha (relu'(0) = 0), as in PyTorch.

    Example:
        >>> round(elu(Value(-1.0)).data, 6), elu(Value(2.0)).data
        (-0.632121, 2.0)
    """
    positive = ag.relu(x)
    return positive + alpha * (ag.exp(x - positive) - 1.0)


def softmax(xs: Sequence[Any]) -> list[Value]:
    """Layer-level softmax: e**z_i / sum_j e**z_j over the neurons of a layer (stable).

    Example:
        >>> [round(p.data, 4) for p in softmax([Value(0.0), Value(0.0)])]
        [0.5, 0.5]
    """
    return ag.softmax(xs)


softmax.layerwise = True  # type: ignore[attr-defined]

_FUNCTIONS: dict[str, Activation] = {
    "linear": identity,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "softplus": softplus,
    "elu": elu,
    "softmax": softmax,
}
ALIASES: dict[str, str] = ACTIVATION_ALIASES
NAMES: tuple[str, ...] = tuple(sorted([*_FUNCTIONS, *ALIASES]))
_BY_FUNCTION = {fn: name for name, fn in _FUNCTIONS.items()}


def canonical_name(name_or_callable: str | Activation) -> str:
    """The canonical name of an activation ('identity' -> 'linear'); a callable's own name.

    Example:
        >>> canonical_name("logistic"), canonical_name(relu), canonical_name(lambda v: v)
        ('sigmoid', 'relu', '<lambda>')
    """
    if callable(name_or_callable):
        return _BY_FUNCTION.get(name_or_callable, getattr(name_or_callable, "__name__", "custom"))
    if not isinstance(name_or_callable, str):
        raise OperandTypeError(
            f"an activation is a name or a callable, got {type(name_or_callable).__name__}; "
            f"valid names: {', '.join(NAMES)}"
        )
    key = name_or_callable.strip().lower()
    key = ALIASES.get(key, key)
    if key not in _FUNCTIONS:
        raise ConfigError(
            f"unknown activation {excerpt(name_or_callable)}; valid names: {', '.join(NAMES)} (or pass a callable)"
        )
    return key


def get(name_or_callable: str | Activation) -> Activation:
    """The activation function for a name (case-insensitive, aliases allowed) or a callable.

    A callable is returned unchanged and is applied elementwise to each neuron's Value.

    Example:
        >>> get("identity") is identity, get("tanh") is tanh
        (True, True)
        >>> get("swish")
        Traceback (most recent call last):
        ...
        nn.errors.ConfigError: unknown activation 'swish'; valid names: elu, identity, ...
    """
    if callable(name_or_callable):
        return name_or_callable
    return _FUNCTIONS[canonical_name(name_or_callable)]


def is_layerwise(fn: Activation) -> bool:
    """True for an activation over a whole layer (softmax), False for an elementwise one.

    Example:
        >>> is_layerwise(softmax), is_layerwise(relu)
        (True, False)
    """
    return bool(getattr(fn, "layerwise", False))
