"""What every export needs to be safe to open and safe to write.

* :func:`neutralise` keeps a spreadsheet (Excel, LibreOffice, Google Sheets)
  from running a cell as a formula: CSV injection, OWASP's "formula injection".
* :func:`write_atomically` writes a whole file or nothing: a reader (or a crash)
  never meets half an export.
* :func:`escape_markdown` lets any text stand in Markdown as itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers
import os
import re
import secrets
from pathlib import Path
from collections.abc import Iterator
from typing import Any, BinaryIO

from fieldnotes.errors import FieldnotesError

#: Characters that make a spreadsheet read a cell as a formula (OWASP): the
#: four formula prefixes, plus tab and carriage return, which some programs
#: skip before looking for them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A spreadsheet cell that cannot run as a formula.

    Text that begins with = + - @, a tab or a carriage return (also after
    leading spaces, which some spreadsheets skip) gets a leading apostrophe.
    Numbers, None and other non-text values come back unchanged.

    >>> neutralise('=HYPERLINK("http://x", "click")')
    '\\'=HYPERLINK("http://x", "click")'
    >>> neutralise("-5 visits"), neutralise(-5), neutralise("Caseload")
    ("'-5 visits", -5, 'Caseload')
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_TRIGGERS) or value.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def is_number(value: Any) -> bool:
    """True for ints and floats (and numpy's), False for bools and text."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def choose_format(path: str | Path, fmt: str | None, formats: dict[str, str], what: str) -> str:
    """The format to write: ``fmt`` when given, else from the file's
    extension, looked up in ``formats`` (extension -> format name)."""
    names = list(dict.fromkeys(formats.values()))
    if fmt:
        key = fmt.lower().lstrip(".")
        key = {"markdown": "md", "htm": "html"}.get(key, key)
        if key in names:
            return key
        raise FieldnotesError(f"Unknown {what} format '{fmt}'; use one of {', '.join(names)}.")
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise FieldnotesError(
            f"Cannot tell the format of '{Path(path).name}' from its extension; "
            f"end the file name with {', '.join('.' + n for n in names[:-1])} or .{names[-1]}.")
    return formats[suffix]


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


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_MD_BLOCK_START = re.compile(r"^(\s*)(?:([#+\->=])|(\d+)([.)]))")


def escape_markdown(text: str, *, cell: bool = False) -> str:
    """``text`` as literal Markdown: emphasis, links, HTML tags and pipes are
    escaped, and a leading ``#``, ``-``, ``+``, ``>`` or ``1.`` cannot start a
    heading, list or quote. In a table ``cell`` (where those mean nothing),
    line breaks become ``<br>`` instead.

    >>> escape_markdown("<script>a|b</script>")
    '\\\\<script\\\\>a\\\\|b\\\\</script\\\\>'
    """
    text = _MD_SPECIAL.sub(r"\\\1", str(text))
    if cell:  # no headings or lists inside a table cell: only line breaks matter
        return "<br>".join(line.strip() for line in text.splitlines()) if "\n" in text or "\r" in text else text
    text = _MD_BLOCK_START.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)), text)
    return text
