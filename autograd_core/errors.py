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

import os
import reprlib
from typing import Any

import numpy as np


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


EXCERPT_CHARS = 80  # the most characters of a user's value that an error message echoes
PATH_CHARS = 120  # the most characters of a file name that an error message echoes


def _repr_config() -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxtuple, r.maxset, r.maxfrozenset, r.maxdeque = 2, 6, 6, 6, 6, 6
    r.maxdict, r.maxarray, r.maxstring, r.maxother, r.maxlong = 4, 6, EXCERPT_CHARS, EXCERPT_CHARS, 40
    return r


_REPR = _repr_config()  # configured once here and never changed: safe to share between threads


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short one-line repr of ``value`` for an error message: at most ``limit`` characters and a size note.

    Strings, lists, dicts and arrays of any size cost the same: only their first items are
    looked at. A shortened excerpt ends with the size of the whole value; control characters
    and lone surrogates come out escaped, so the text prints on any terminal.

    Example:
        >>> excerpt(2.5), excerpt("TANH")
        ('2.5', "'TANH'")
        >>> excerpt("x" * 5_000_000)
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' (5,000,000 characters)"
        >>> excerpt(list(range(10**6)))
        '[0, 1, 2, 3, 4, 5, ...] (1,000,000 items)'
    """
    try:
        if isinstance(value, np.ndarray):
            text = _array(value)
        elif type(value) is int and value.bit_length() > 128:  # repr() of a huge int is slow, or refused
            text = f"<an integer of about {int(value.bit_length() * 0.30103):,} digits>"
        else:
            text = _REPR.repr(value)
    except Exception:  # a value whose repr fails: its type is enough to say what it was
        text = f"<{type(value).__name__} object>"
    text = " ".join(text.split())  # one line (an array's repr spans several)
    if not text.isascii():
        text = text.encode("ascii", "backslashreplace").decode("ascii")
    shortened = len(text) > limit or "..." in text
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    size = _size(value) if shortened else ""
    return f"{text} ({size})" if size else text


def excerpt_text(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """Text for an error message without quotes (a name, a label, another error's message), kept short.

    Short one-line printable text comes out as it is; anything longer, on several lines or
    odd goes through ``excerpt``, so it is at most ``limit`` characters plus a size note.

    Example:
        >>> excerpt_text("swish"), excerpt_text(ValueError("math domain error"))
        ('swish', 'math domain error')
        >>> excerpt_text("x" * 1_000_000)[-27:]
        "xxx' (1,000,000 characters)"
    """
    if not isinstance(value, (str, BaseException)):
        return excerpt(value, limit)
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        return f"<{type(value).__name__} object>"
    if len(text) <= limit and text.isprintable() and text.isascii():
        return text
    return excerpt(text, limit)


def excerpt_path(path: Any, limit: int = PATH_CHARS, quote: bool = False) -> str:
    """A file name for an error message: as given, escaped if odd, its start and end if very long.

    ``quote=True`` puts it in quotes as ``repr`` would.

    Example:
        >>> excerpt_path("runs/model.json"), excerpt_path("runs/model.json", quote=True)
        ('runs/model.json', "'runs/model.json'")
        >>> excerpt_path("bad\\x00name")
        "'bad\\\\x00name'"
        >>> len(excerpt_path("d/" * 3000 + "m.json")) <= 120
        True
    """
    try:
        text = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else str(path)
    except Exception:
        return f"<{type(path).__name__}>"
    if quote or not text.isprintable() or (not text.isascii() and not _encodable(text)):
        text = repr(text).encode("ascii", "backslashreplace").decode("ascii")
    if len(text) > limit:
        half = (limit - 3) // 2
        text = f"{text[:half]}...{text[-half:]}"
    return text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _array(a: np.ndarray) -> str:
    flat = a.reshape(-1)[:6]
    items = ", ".join(_REPR.repr(x.item()) if a.dtype.kind != "O" else _REPR.repr(x) for x in flat)
    return f"array([{items}{', ...' if a.size > 6 else ''}])"


def _size(value: Any) -> str:
    if isinstance(value, str):
        return f"{len(value):,} characters"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value):,} bytes"
    if isinstance(value, np.ndarray):
        return f"shape {value.shape}"
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return f"{len(value):,} item{'s' if len(value) != 1 else ''}"
    return ""
