"""Errors that speak to a researcher.

Every error the user can cause is a :class:`FieldnotesError` whose message says
what went wrong, with which file, line or code, and what to do next. The CLI
prints it on one line; the TUI shows it as a notification.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class FieldnotesError(Exception):
    """A problem the user can act on (bad input, unknown name, wrong file)."""


class ProjectFileError(FieldnotesError):
    """The project file cannot be opened as a fieldnotes project."""


class PassphraseNeeded(ProjectFileError):
    """The project file is encrypted (or not SQLite at all) and no passphrase was given."""


class ImportFailed(FieldnotesError):
    """A file could not be imported; the message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class NotFound(FieldnotesError):
    """A document, code, case or attribute named by the user does not exist."""


class ProjectLocked(FieldnotesError):
    """Another process held the project's write lock for longer than we wait."""

    def __init__(self, path) -> None:
        self.path = path
        super().__init__(f"another fieldnotes process is writing to {path}; try again "
                         "(nothing was changed).")


class ProjectReadOnly(FieldnotesError):
    """The project file or its folder cannot be written: it is open for reading only."""

    def __init__(self, path) -> None:
        self.path = path
        super().__init__(
            f"{path} is read-only (the file or its folder cannot be written), so nothing can be saved; "
            "reading works. Copy the project to a folder you can write to, or ask for write access.")


class DiskFull(FieldnotesError):
    """A write failed because the disk is full; nothing was saved."""


class FileTooLarge(FieldnotesError):
    """A write failed at the file-size limit the system sets (ulimit -f)."""


def explain(exc: BaseException, path=None) -> FieldnotesError | None:
    """A researcher's one-line error for a low-level failure, or None when it
    is not one fieldnotes knows how to explain.

    ``path`` is the project (or file) being written, named in the message.
    Locked, read-only, full disk, file-size limit and integers too large for
    SQLite each get their own line.
    """
    import errno
    import sqlite3

    if isinstance(exc, FieldnotesError):
        return exc
    where = path if path is not None else "the project"
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        text = str(exc).lower()
        if "database is locked" in text or "database is busy" in text:
            return ProjectLocked(where)
        if "readonly" in text or "read-only" in text or (
                "unable to open database file" in text and path is not None and _read_only(path)):
            return ProjectReadOnly(where)
        if "disk is full" in text:
            return _full(where)
        if "disk i/o error" in text:
            # Also what SQLite says when a full disk or the size limit stops a
            # write mid-way; anything else is a failing disk or network drive.
            if _no_space(where) or file_size_limit() is not None:
                return _full(where)
            return FieldnotesError(
                f"Could not read or write {where} (a disk input/output error); nothing half-written is kept. "
                "Check the disk or network drive, then try again.")
        return None
    if isinstance(exc, OSError):
        name = exc.filename or where
        if exc.errno == errno.ENOSPC:
            return DiskFull(f"The disk is full: {name} could not be written (nothing half-written is left). "
                            "Free some space and try again.")
        if exc.errno == errno.EFBIG:
            return _too_large(name)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return FieldnotesError(f"Cannot write {name}: {exc.strerror or 'permission denied'}. "
                                   "Choose a folder you can write to, or ask for write access.")
        return None
    if isinstance(exc, OverflowError) and "sqlite" in str(exc).lower():
        return FieldnotesError(f"A whole number is too large to store (over 9,223,372,036,854,775,807) while "
                               f"writing to {where}; store it as text (for example put it in quotes) or check the value.")
    return None


def _read_only(path) -> bool:
    import os
    from pathlib import Path

    path = Path(path)
    return not os.access(path.parent if str(path.parent) else ".", os.W_OK) or (
        path.exists() and not os.access(path, os.W_OK))


def file_size_limit() -> int | None:
    """The per-file size limit this process runs under (``ulimit -f``), in bytes, or None."""
    try:
        import resource
    except ImportError:  # Windows has no such limit
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else soft


def _too_large(name) -> FileTooLarge:
    limit = file_size_limit()
    size = f" ({limit / 1024 / 1024:.1f} MB)" if limit else ""
    return FileTooLarge(f"{name} reached the file-size limit this system sets (ulimit -f){size}; the change in "
                        "progress was undone, so nothing is half-written. Raise the limit or ask your administrator.")


def _no_space(where) -> bool:
    import os
    from pathlib import Path

    try:
        stats = os.statvfs(Path(where).parent if str(Path(where).parent) else ".")
    except (OSError, AttributeError):  # no statvfs on Windows
        return False
    return stats.f_bavail * stats.f_frsize < 1024 * 1024


def _full(where) -> FieldnotesError:
    # SQLite reports a write cut short by the file-size limit as a full disk:
    # when a limit is set and the file is at it, say which it was.
    import os

    limit = file_size_limit()
    if limit is not None:
        sizes = []
        for suffix in ("", "-wal", "-journal"):
            try:
                sizes.append(os.path.getsize(f"{where}{suffix}"))
            except OSError:
                pass
        if not sizes or max(sizes) + 1024 * 1024 >= limit:
            return _too_large(where)
    return DiskFull(f"The disk is full: {where} could not be written; the change in progress was undone, "
                    "so nothing is half-written. Free some space and try again.")


def suggest(name: str, choices: Sequence[str]) -> str:
    """The hint " Did you mean 'x'?" with up to three close matches of ``name``, or "".
    Fuzzy (rapidfuzz WRatio >= 70), so typos and case both find the name."""
    from rapidfuzz import fuzz, process

    close = [c for c, score, _ in process.extract(name, list(choices), scorer=fuzz.WRatio, limit=3) if score >= 70]
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def matching(items: Sequence[T], wanted: str, key: Callable[[T], str] = lambda item: item) -> list[T]:
    """The one rule every lookup by name uses (coders, cases, attributes,
    codes): the items whose ``key`` is ``wanted`` exactly, else those equal
    to it ignoring case. The caller says what none, or several, means."""
    exact = [item for item in items if key(item) == wanted]
    return exact or [item for item in items if key(item).casefold() == wanted.casefold()]
