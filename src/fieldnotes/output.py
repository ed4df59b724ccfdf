"""Writing output files safely: whole or not at all, and owner-only when
they hold identifiable data.

* :func:`write_atomically` / :func:`atomic_file` write a whole file or
  nothing: a reader (or a crash) never meets half an export.
* :func:`sensitive_output` marks the files written inside it as identifiable
  (an ``--original`` export, the key): created 0600, their folders 0700.

Every writer uses this, whatever it writes (tables, quotes, codebooks,
.qdpx projects, key logs), so it sits in no layer of its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from fieldnotes.errors import FieldnotesError

#: True while writing output that holds identifiable data (see :func:`sensitive_output`).
_SENSITIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("fieldnotes_sensitive_output", default=False)


@contextlib.contextmanager
def sensitive_output(sensitive: bool = True) -> Iterator[None]:
    """Files written inside the block hold identifiable data (an ``--original``
    export, the pseudonymisation key): :func:`atomic_file` creates them
    readable by their owner only (0600), whatever the umask, and folders made
    for them with :func:`output_folder` 0700. Pseudonymised exports, meant to
    be shared, keep ordinary permissions.

    >>> with sensitive_output():
    ...     write_atomically("key.csv", b"...")      # -rw-------
    """
    token = _SENSITIVE.set(sensitive)
    try:
        yield
    finally:
        _SENSITIVE.reset(token)


def output_folder(path: str | Path) -> Path:
    """Create a folder for an export (private when the output is sensitive)."""
    path = Path(path)
    if _SENSITIVE.get():
        from fieldnotes.store.files import private_folder

        return private_folder(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """Open a binary file that replaces ``path`` only when the block ends
    without an error: a temporary file in the same folder, flushed to disk
    (fsync), then renamed over ``path`` (os.replace). Readers never see half
    a file, and a failure leaves ``path`` as it was.

    The file gets the permissions a new file normally gets (the umask applies),
    not the private 0600 of :func:`tempfile.mkstemp`: an export is meant to be
    shared; inside :func:`sensitive_output` it is created owner-only (0600).
    A write the system refuses becomes a FieldnotesError saying what to check.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FieldnotesError(
            f"Cannot write {path}: the folder {folder} does not exist. Check that the folder exists "
            "(create it, or correct the path), or choose another place.")
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        private = _SENSITIVE.get()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o600 if private else 0o666)
        if private and os.name == "posix":
            os.fchmod(fd, 0o600)   # also when the file replaces a readable one
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise FieldnotesError(
            f"Cannot write {path} ({err.strerror or err}); check that the folder exists, that you can write "
            "to it and that the disk is not full."
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once (see :func:`atomic_file`)."""
    with atomic_file(path) as fh:
        fh.write(data)


def _sync_folder(folder: Path) -> None:
    # The rename itself survives a power cut only once the folder is synced
    # (POSIX); Windows cannot open a folder this way and needs no such step.
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
