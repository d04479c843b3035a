"""Safe file reading and writing for model files, data files and pictures.

``read_regular`` refuses what is not an ordinary file (a directory, a FIFO, a device such as
``/dev/zero``) and files over a size limit BEFORE reading a byte, so a hostile path can neither
block the process nor exhaust its memory. ``atomic_write`` writes through a symlink to its
target, keeps the target's permission bits, and replaces the file in one step (temporary file
in the same folder, ``fsync``, rename, ``fsync`` of the folder): a crash leaves the old file or
the new one, never half of one.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> atomic_write(path, b"hello")
    >>> read_regular(path, limit=10, what="notes")
    b'hello'
    >>> read_regular(os.path.dirname(path), limit=10, what="notes")
    Traceback (most recent call last):
    ...
    nn.errors.ModelFileError: ...: is a directory, not a notes file
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from typing import Any

from autograd_core.errors import excerpt_path

from .errors import ModelFileError

__all__ = ["atomic_write", "check_path", "read_regular"]

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def check_path(path: Any, what: str = "file", error: type[Exception] = ModelFileError) -> str:
    """``path`` as a str the operating system can take; ``error`` for a NUL byte or an unencodable name.

    Example:
        >>> check_path("runs/model.json")
        'runs/model.json'
        >>> check_path("bad\\x00name.json", "model file")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: 'bad\\x00name.json': a model file name cannot contain a NUL byte
    """
    try:
        text = os.fspath(path)
    except TypeError:
        raise error(f"a {what} name must be a str or a path, got {type(path).__name__}") from None
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if "\x00" in text:
        raise error(f"{excerpt_path(text)}: a {what} name cannot contain a NUL byte")
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        raise error(f"{excerpt_path(text)}: a {what} name must be valid text (it holds a lone surrogate)") from None
    return text


def read_regular(path: Any, limit: int, what: str = "model", error: type[Exception] = ModelFileError) -> bytes:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes, else ``error``.

    The file is opened without blocking (a FIFO with no writer does not hang) and checked with
    ``fstat`` on the open descriptor, so what is checked is what is read. A missing file or
    a permission problem raises the usual ``OSError``.

    Example:
        >>> read_regular("/dev/zero", limit=100, what="model")
        Traceback (most recent call last):
        ...
        nn.errors.ModelFileError: /dev/zero: is a character device, not a model file
    """
    text = check_path(path, f"{what} file", error)
    fd = os.open(text, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise error(f"{excerpt_path(text)}: is {kind}, not a {what} file")
        if info.st_size > limit:
            raise error(
                f"{excerpt_path(text)}: is {_size(info.st_size)}, more than the {_size(limit)} limit of {what} files"
            )
        chunks, total = [], 0
        while True:  # read at most limit + 1 bytes: the file may have grown since fstat
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise error(f"{excerpt_path(text)}: is more than the {_size(limit)} limit of {what} files")
        return b"".join(chunks)
    finally:
        os.close(fd)


def atomic_write(path: Any, data: bytes, what: str = "model", error: type[Exception] = ModelFileError) -> None:
    """Replace ``path`` with ``data`` atomically and durably, through a symlink, keeping the file's mode.

    A new file gets the usual mode (0o666 less the umask); an existing one keeps its permission
    bits (a private 0o600 model stays private). Refuses a directory or device at ``path``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "m.json"); atomic_write(path, b"{}")
        >>> os.chmod(path, 0o600); atomic_write(path, b"[]"); oct(os.stat(path).st_mode & 0o777)
        '0o600'
    """
    text = check_path(path, f"{what} file", error)
    target = os.path.realpath(text)  # a symlink is written through, not replaced
    folder = os.path.dirname(target) or "."
    try:
        info = os.stat(target)
    except FileNotFoundError:
        mode = None
    else:
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise error(f"{excerpt_path(text)}: is {kind}; cannot write a {what} file there")
        mode = stat.S_IMODE(info.st_mode)
    tmp, fd = _temporary(folder, os.path.basename(target))
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _temporary(folder: str, name: str) -> tuple[str, int]:
    """A new file next to the target, created with mode 0o666 so the kernel applies the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{name[:100]}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {excerpt_path(folder)}")


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some systems cannot open a folder: the rename is done, only its durability is weaker
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MiB".replace(".0 MiB", " MiB")
    if n >= 2**10:
        return f"{n / 2**10:.1f} KiB".replace(".0 KiB", " KiB")
    return f"{n} bytes"
