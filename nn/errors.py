"""The exception types of nn, all subclasses of ``autograd_core.AutogradError``.

Wrong input shapes and types use the engine's own ``ShapeError`` and ``OperandTypeError``;
the types here cover names, configurations, state dicts and model files.

Example:
    >>> from autograd_core import AutogradError
    >>> from nn.errors import ConfigError
    >>> issubclass(ConfigError, AutogradError) and issubclass(ConfigError, ValueError)
    True
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from autograd_core import AutogradError
from autograd_core.errors import excerpt


class ConfigError(AutogradError, ValueError):
    """An unknown name (activation, init, loss) or an impossible architecture argument.

    Example:
        >>> from nn import MLP
        >>> try:
        ...     MLP(2, [3, 1], init="glorious")
        ... except ValueError as err:
        ...     print(str(err)[:30])
        unknown init 'glorious'; valid
    """


class StateDictError(AutogradError, ValueError):
    """A state dict does not fit the model (missing, unexpected or non-numeric entries).

    Example:
        >>> from nn import Neuron
        >>> try:
        ...     Neuron(1).load_state_dict({"w.0": 1.0, "b": "x"})
        ... except ValueError as err:
        ...     print(err)
        state dict: parameter 'b' must be a number, got str 'x'
    """


class ModelFileError(AutogradError, ValueError):
    """A model file is malformed, truncated, of another format or version, or of another model.

    Example:
        >>> import os, tempfile
        >>> from nn import MLP
        >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
        >>> _ = open(path, "w").write('{"format": "autograd-core-model", "version": 9}')
        >>> try:
        ...     MLP.load(path)
        ... except ValueError as err:
        ...     print(str(err).split(": ", 1)[1])
        version: expected a version this library reads (an integer: 1), got 9
    """


def check_count(n: Any, name: str, minimum: int = 1) -> int:
    """``n`` as an int when it is an integer >= ``minimum``, else ConfigError naming ``name``.

    Example:
        >>> check_count(3, "epochs")
        3
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {excerpt(n)}")
    return int(n)


def check_nonneg(x: Any, name: str) -> float:
    """``x`` as a float when it is a finite number >= 0, else ConfigError naming ``name``.

    Example:
        >>> check_nonneg(0.5, "noise")
        0.5
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x < 0:
        raise ConfigError(f"{name} must be a finite number >= 0, got {excerpt(x)}")
    return float(x)


class ConversionError(ConfigError):
    """A model cannot be carried to or from PyTorch; the message names the first layer or module.

    Example:
        >>> issubclass(ConversionError, ValueError)
        True
    """
