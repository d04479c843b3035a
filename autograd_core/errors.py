"""The project's exception types.

Every error a user can provoke is one of these, so ``except AutogradError`` catches them all,
and each is also a ``ValueError`` or ``TypeError`` so ordinary handlers keep working.

Example:
    >>> from autograd_core import Value, DomainError
    >>> try:
    ...     Value(-2.0, label="x").log()
    ... except DomainError as err:
    ...     print(err)
    log() needs a positive input, got -2.0 (node 'x')
"""

from __future__ import annotations


class AutogradError(Exception):
    """Base class of every exception raised by autograd_core."""


class DomainError(AutogradError, ValueError):
    """An op was applied outside its domain (log of a negative, division by zero, ...)."""


class ShapeError(AutogradError, ValueError):
    """Lanes do not fit: arrays of different lengths, 2-D data, or a laned Value where a
    scalar is required (call ``.sum()`` or ``.mean()`` first)."""


class OperandTypeError(AutogradError, TypeError):
    """An operand of an unsupported type (a string, a list, None, ...)."""


class AnomalyError(AutogradError, ValueError):
    """A NaN or infinity appeared while ``detect_anomaly()`` was active."""


class GradcheckError(AutogradError, AssertionError):
    """Analytic and numerical gradients disagree; the message holds a per-argument table."""


class OpDefinitionError(AutogradError, ValueError):
    """``define_op`` was given an unusable definition (a bad name, a rule of the wrong arity, ...)."""
