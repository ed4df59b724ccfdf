"""Encrypted projects, through SQLCipher (the ``sqlcipher3-wheels`` package:
SQLCipher 4 community with FTS5; nothing is downloaded at run time).

An encrypted project is the same schema in a file whose every page (and its
WAL) is encrypted with a key derived from a passphrase (PBKDF2-HMAC-SHA512,
SQLCipher 4's defaults). Plain SQLite stays the default, so an unencrypted
project opens in any SQLite tool.

The passphrase never travels as a command-line argument, is never logged, and
is kept in this process only (:func:`remember`), so that every connection the
process opens to the same file (the workspace's workers too) can use it. Its
``repr`` is masked, so a traceback that shows local variables does not show it.

Errors from SQLCipher's own module are raised as the standard library's
``sqlite3`` errors, so code that catches ``sqlite3.OperationalError`` works
the same on an encrypted project.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from fieldnotes.errors import FieldnotesError, ProjectFileError

SQLITE_MAGIC = b"SQLite format 3\x00"
ENV_PASSPHRASE = "FIELDNOTES_PASSPHRASE"


class Passphrase:
    """A passphrase that does not show itself in reprs, logs or tracebacks."""

    __slots__ = ("_secret",)

    def __init__(self, secret: str) -> None:
        if not secret:
            raise FieldnotesError("The passphrase is empty; give one with at least one character.")
        self._secret = secret

    def reveal(self) -> str:
        return self._secret

    def __repr__(self) -> str:
        return "Passphrase(***)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Passphrase) and other._secret == self._secret

    def __hash__(self) -> int:
        return hash(self._secret)


_KNOWN: dict[str, Passphrase] = {}


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def remember(path: str | Path, passphrase: Passphrase) -> None:
    """Keep ``passphrase`` for ``path`` for the rest of this process."""
    _KNOWN[_key(path)] = passphrase


def known(path: str | Path) -> Passphrase | None:
    return _KNOWN.get(_key(path))


def forget(path: str | Path) -> None:
    _KNOWN.pop(_key(path), None)


def is_plain_sqlite(path: str | Path) -> bool:
    """True when the file starts with SQLite's header (or is empty)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    return head == SQLITE_MAGIC or head == b""


def looks_encrypted(path: str | Path) -> bool:
    """A file that could be an encrypted database: not plain SQLite, and a
    whole number of pages long (an encrypted file is nothing but pages of at
    least 512 bytes). Only the passphrase can tell for sure."""
    path = Path(path)
    if not path.is_file():
        return False
    size = path.stat().st_size
    return size >= 512 and size % 512 == 0 and not is_plain_sqlite(path)


def _module():
    try:
        import sqlcipher3
    except ImportError:  # pragma: no cover - a core dependency
        raise FieldnotesError(
            "Encrypted projects need the sqlcipher3-wheels package: pip install sqlcipher3-wheels.") from None
    return sqlcipher3


_TRANSLATED: dict[type, type] = {}


def _translate(exc: Exception) -> Exception:
    """The standard library's error of the same kind, with the same message."""
    mod = _module().dbapi2
    for name in ("IntegrityError", "OperationalError", "ProgrammingError", "DataError", "NotSupportedError",
                 "InternalError", "DatabaseError", "InterfaceError", "Error"):
        if isinstance(exc, getattr(mod, name)):
            new = getattr(sqlite3, name)(*exc.args)
            for attr in ("sqlite_errorcode", "sqlite_errorname"):
                if hasattr(exc, attr):
                    try:
                        setattr(new, attr, getattr(exc, attr))
                    except AttributeError:
                        pass
            return new
    return exc


def _connection_class():
    mod = _module().dbapi2

    class CipherConnection(mod.Connection):
        """A SQLCipher connection whose errors are ``sqlite3``'s, with the
        attributes of :class:`fieldnotes.store.db.ProjectConnection`."""

        path: Path
        read_only: bool = False
        lock_timeout: float = 30.0

        def execute(self, *args, **kwargs):
            try:
                return super().execute(*args, **kwargs)
            except mod.Error as exc:
                raise _translate(exc) from None

        def executemany(self, *args, **kwargs):
            try:
                return super().executemany(*args, **kwargs)
            except mod.Error as exc:
                raise _translate(exc) from None

        def executescript(self, *args, **kwargs):
            try:
                return super().executescript(*args, **kwargs)
            except mod.Error as exc:
                raise _translate(exc) from None

        def commit(self):
            try:
                return super().commit()
            except mod.Error as exc:
                raise _translate(exc) from None

        def rollback(self):
            try:
                return super().rollback()
            except mod.Error as exc:
                raise _translate(exc) from None

    return CipherConnection


def _quoted(passphrase: Passphrase) -> str:
    return "'" + passphrase.reveal().replace("'", "''") + "'"


def connect(path: str | Path, passphrase: Passphrase, *, check: bool = True, uri: bool = False,
            label: str | None = None):
    """Open (or create) an encrypted database (``path`` is a URI with
    ``uri``). With ``check``, a wrong passphrase is one clear error naming
    ``label`` (default: the file's name), not SQLite's "file is not a
    database"."""
    mod = _module()
    conn = mod.connect(str(path), isolation_level=None, factory=_connection_class(), uri=uri,
                       check_same_thread=True)
    try:
        # SQLCipher logs a failed key check to stderr by default; the error below says it once.
        conn.execute("PRAGMA cipher_log_level = NONE")
        # PRAGMA key takes no parameters; the quoted literal never leaves this call.
        conn.execute(f"PRAGMA key = {_quoted(passphrase)}")
        if check:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        conn.close()
        raise ProjectFileError(
            f"Wrong passphrase for {label or Path(path).name} (or it is not a fieldnotes project). "
            f"Try again, or check {ENV_PASSPHRASE} / --passphrase-file.") from None
    return conn


def _export(source_conn, target: Path, key_sql: str) -> None:
    """Copy every table, index, trigger and virtual table into ``target``
    (created with ``key_sql`` as its key: '' for plain), with the header
    fields SQLCipher's export leaves behind."""
    user_version = source_conn.execute("PRAGMA user_version").fetchone()[0]
    application_id = source_conn.execute("PRAGMA application_id").fetchone()[0]
    source_conn.execute(f"ATTACH DATABASE ? AS exported KEY {key_sql}", [str(target)])
    try:
        source_conn.execute("SELECT sqlcipher_export('exported')")
        source_conn.execute(f"PRAGMA exported.user_version = {int(user_version)}")
        source_conn.execute(f"PRAGMA exported.application_id = {int(application_id)}")
    finally:
        source_conn.execute("DETACH DATABASE exported")


def _export_replacing(source, partial: Path, out: Path, key_sql: str) -> Path:
    """Export ``source`` (closed afterwards) into ``partial``, owner-only,
    then put it in place of ``out``; on any failure ``out`` is untouched and
    no partial file is left."""
    from fieldnotes.store.files import private_umask

    try:
        with private_umask():
            _export(source, partial, key_sql)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    _replace(partial, out)
    return out


def _replace(partial: Path, path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    partial.replace(path)


def encrypt_file(path: Path, passphrase: Passphrase, out: Path | None = None) -> Path:
    """Write an encrypted copy of the plain project ``path`` to ``out``
    (default: in place). The new file is written beside it first and replaces
    the old one only when complete."""
    if looks_encrypted(path):
        raise FieldnotesError(f"{path.name} is already encrypted.")
    out = out or path
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    plain = sqlite3.connect(str(path))
    try:
        # Fold the write-ahead log into the file first (busy while another process writes).
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        plain.close()
    source = _module().connect(str(path), isolation_level=None)   # no key: plain
    source.execute("PRAGMA cipher_log_level = NONE")
    return _export_replacing(source, partial, out, _quoted(passphrase))


def decrypt_file(path: Path, passphrase: Passphrase, out: Path | None = None) -> Path:
    """Write a plain copy of the encrypted project ``path`` to ``out``
    (default: in place), replacing it only when complete."""
    if not looks_encrypted(path):
        raise FieldnotesError(f"{path.name} is not encrypted.")
    out = out or path
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    source = connect(path, passphrase)
    source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return _export_replacing(source, partial, out, "''")


def passphrase_from_environment() -> Passphrase | None:
    value = os.environ.get(ENV_PASSPHRASE)
    return Passphrase(value) if value else None


def passphrase_from_file(path: str | Path) -> Passphrase:
    """The first line of ``path`` (a file only its owner should read)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FieldnotesError(f"Cannot read the passphrase file {path} ({exc.strerror or exc}).") from None
    line = text.splitlines()[0] if text else ""
    return Passphrase(line)
