"""Open and create project files.

A project is one SQLite file in WAL mode with foreign keys on, marked with an
``application_id`` so that fieldnotes can tell its own files from other SQLite
databases, and versioned with ``user_version``.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from fieldnotes.errors import DiskFull, ProjectFileError, ProjectLocked, ProjectReadOnly, explain
from fieldnotes.store import SCHEMA_VERSION

#: "FNTS" in ASCII: marks a SQLite file as a fieldnotes project.
APPLICATION_ID = 0x464E5453
SQLITE_MAGIC = b"SQLite format 3\x00"


#: How long a write waits for another process to finish writing before it
#: gives up with a one-line error (seconds). FIELDNOTES_LOCK_TIMEOUT overrides.
DEFAULT_LOCK_TIMEOUT = 30.0


def lock_timeout() -> float:
    """The write-lock wait in seconds: FIELDNOTES_LOCK_TIMEOUT, else the default."""
    try:
        return max(0.0, float(os.environ.get("FIELDNOTES_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


class ProjectConnection(sqlite3.Connection):
    """A connection that knows its project file, whether it is read-only and
    how long a write may wait for the lock (the workspace waits less than a
    script: it must not freeze). An encrypted project's connection
    (:mod:`fieldnotes.store.cipher`) carries the same attributes."""

    path: Path
    read_only: bool = False
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


def _connect(path: Path, *, read_only: bool = False, immutable: bool = False, passphrase=None) -> ProjectConnection:
    # Autocommit unless inside ``atomic``: no transaction is ever left open
    # by accident, and every multi-statement change is explicit.
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "") if read_only else None
    if passphrase is not None:
        from fieldnotes.store.cipher import connect

        conn = connect(uri or path, passphrase, uri=read_only, label=path.name)
    elif read_only:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, factory=ProjectConnection)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, factory=ProjectConnection)
    conn.path = path
    conn.read_only = read_only
    set_lock_timeout(conn, lock_timeout())
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    else:
        conn.execute("PRAGMA journal_mode = WAL")
        # Safe with WAL: a crash can lose the last commits, never corrupt the file.
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def set_lock_timeout(conn: sqlite3.Connection, seconds: float) -> None:
    """Wait at most ``seconds`` for another process's write to finish."""
    seconds = max(0.0, float(seconds))
    conn.lock_timeout = seconds
    # SQLite's busy handler waits with growing sleeps (up to 0.1 s) for the
    # whole timeout: single-statement writes outside ``atomic`` wait as long too.
    conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")


def _migrate(conn: sqlite3.Connection) -> None:
    from sqlite_utils import Database

    from fieldnotes.store.migrations import migrations

    # All pending migrations under one write lock taken up front: two
    # processes opening an old project at once upgrade it once, in turn.
    with atomic(conn):
        migrations.apply(Database(conn))


def _locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


def begin_write(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``: take the write lock before the first read, so a
    transaction never has to upgrade a read to a write (which SQLite cannot
    wait for, and fails at once with "database is locked"). While another
    process writes, wait: SQLite's busy handler, then retries with growing,
    jittered pauses, up to the connection's lock timeout; then a
    :class:`ProjectLocked` error that names the project."""
    path = getattr(conn, "path", "the project")
    if getattr(conn, "read_only", False):
        raise ProjectReadOnly(path)
    timeout = getattr(conn, "lock_timeout", DEFAULT_LOCK_TIMEOUT)
    deadline = time.monotonic() + timeout
    pause = 0.02
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _locked(exc):
                raise explain(exc, path) or exc from exc
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProjectLocked(path) from None
            time.sleep(min(left, pause * (0.5 + random.random())))
            pause = min(pause * 2, 0.5)


@contextlib.contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction, or a savepoint inside the one already open:
    everything in the block is written, or nothing is. The write lock is
    taken up front (see :func:`begin_write`)."""
    if conn.in_transaction:
        name = f"fieldnotes_{secrets.token_hex(8)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    begin_write(conn)
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise


def backup_to(conn: sqlite3.Connection, path: Path, passphrase=None) -> None:
    """Copy the whole database behind ``conn`` into a new file at ``path``,
    encrypted with ``passphrase`` when one is given (an upgrade's backup, a
    coder's copy). The caller decides the file's permissions."""
    if passphrase is not None:
        from fieldnotes.store.cipher import connect

        target = connect(path, passphrase, check=False)
    else:
        target = sqlite3.connect(str(path))
    try:
        conn.backup(target)
    finally:
        target.close()


def create_project_file(path: Path, passphrase=None) -> sqlite3.Connection:
    """Create a new, empty project at ``path`` with the current schema,
    readable by its owner only; encrypted when a ``passphrase``
    (:class:`fieldnotes.store.cipher.Passphrase`) is given."""
    from fieldnotes.store.files import private_umask

    if path.exists():
        raise ProjectFileError(
            f"{path} already exists; choose another name or open it with 'fieldnotes info {path}'."
        )
    if not path.parent.exists():
        raise ProjectFileError(f"Cannot create {path}: the folder {path.parent} does not exist.")
    folder = path.parent if str(path.parent) else Path(".")
    if not os.access(folder, os.W_OK):
        raise ProjectFileError(
            f"Cannot create {path}: the folder {folder} is read-only. "
            "Choose a folder you can write to (for example your home folder).")
    conn = None
    try:
        with private_umask():
            conn = _connect(path, passphrase=passphrase)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            _migrate(conn)
    except (sqlite3.Error, OSError) as exc:
        # A half-made project (a full disk, say) is worse than none: remove it.
        if conn is not None:
            conn.close()
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            leftover.unlink(missing_ok=True)
        known = explain(exc, path)
        if known is None:
            raise
        raise known from exc
    if passphrase is not None:
        from fieldnotes.store.cipher import remember

        remember(path, passphrase)
    return conn


def _check_header(path: Path, encrypted: bool = False) -> None:
    if not path.exists():
        raise ProjectFileError(
            f"No project at {path}. Create one with 'fieldnotes init {path}'."
        )
    if path.is_dir():
        raise ProjectFileError(f"{path} is a folder, not a fieldnotes project file.")
    if encrypted:
        return   # the passphrase check, once connected, tells
    with path.open("rb") as fh:
        head = fh.read(100)
    if not head.startswith(SQLITE_MAGIC):
        from fieldnotes.store.cipher import looks_encrypted

        if looks_encrypted(path):
            from fieldnotes.errors import PassphraseNeeded

            raise PassphraseNeeded(
                f"{path} is not a plain SQLite file: if it is an encrypted fieldnotes project, give its "
                "passphrase (FIELDNOTES_PASSPHRASE, --passphrase-file, or at the prompt in a terminal); "
                "otherwise it is not a fieldnotes project.")
        raise ProjectFileError(
            f"{path} is not a fieldnotes project (it is not an SQLite file). "
            "Create a project with 'fieldnotes init', then import files into it."
        )
    application_id = int.from_bytes(head[68:72], "big")
    if application_id != APPLICATION_ID:
        # The header on disk may be older than the WAL (another connection has
        # the project open and has not checkpointed): ask SQLite itself.
        try:
            probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                application_id = probe.execute("PRAGMA application_id").fetchone()[0]
            finally:
                probe.close()
        except sqlite3.DatabaseError:
            pass
    if application_id != APPLICATION_ID:
        raise ProjectFileError(
            f"{path} is an SQLite database but not a fieldnotes project. "
            "Create a project with 'fieldnotes init', then import files into it."
        )


def writable(path: Path) -> bool:
    """Whether this process may write the project: the file and its folder
    (SQLite keeps its write-ahead log and lock files beside the project)."""
    folder = path.parent if str(path.parent) else Path(".")
    return os.access(path, os.W_OK) and os.access(folder, os.W_OK)


def _open_read_only(path: Path, passphrase=None) -> ProjectConnection:
    # In a read-only folder SQLite cannot create the log and lock files a
    # WAL project needs; when they are absent nobody can be writing (nobody
    # can create them either), so the file is read as it stands (immutable).
    try:
        conn = _connect(path, read_only=True, passphrase=passphrase)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        return _connect(path, read_only=True, immutable=True, passphrase=passphrase)


def open_project_file(path: Path, *, upgrade: bool = True, passphrase=None) -> sqlite3.Connection:
    """Open an existing project, upgrading an older schema in place.

    Before an upgrade the file is copied next to itself (``NAME.bak-vN``,
    owner-only, and encrypted with the same passphrase when the project is),
    so a failed or unwanted upgrade never loses work. A project this process
    cannot write (a read-only file or folder) opens read-only: reads work, and
    a write raises :class:`ProjectReadOnly`, which says why. An encrypted
    project needs its passphrase: given here, or remembered for this process
    (:func:`fieldnotes.store.cipher.remember`).
    """
    from fieldnotes.store import cipher

    if passphrase is None and path.is_file() and cipher.looks_encrypted(path):
        passphrase = cipher.known(path)
    _check_header(path, encrypted=passphrase is not None)
    read_only = not writable(path)
    try:
        conn = _open_read_only(path, passphrase) if read_only else _connect(path, passphrase=passphrase)
        if passphrase is not None:
            cipher.remember(path, passphrase)
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                conn.close()
                raise ProjectFileError(f"{path} is an encrypted SQLite database but not a fieldnotes project.")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        known = explain(exc, path)
        if isinstance(known, DiskFull):
            raise DiskFull(f"The disk is full: {path} cannot be opened (SQLite needs a little room beside the "
                           "project for its log). Free some space and try again.") from exc
        if known is not None and not isinstance(known, ProjectReadOnly):
            raise known from exc
        raise ProjectFileError(f"{path} cannot be read as a fieldnotes project: {exc}.") from exc
    if version > SCHEMA_VERSION:
        conn.close()
        raise ProjectFileError(
            f"{path} was written by a newer fieldnotes (schema version {version}; "
            f"this fieldnotes reads up to {SCHEMA_VERSION}). Upgrade fieldnotes to open it: "
            "pip install --upgrade fieldnotes."
        )
    if version < SCHEMA_VERSION:
        if not upgrade:
            conn.close()
            raise ProjectFileError(
                f"{path} uses schema version {version} and needs an upgrade to {SCHEMA_VERSION}."
            )
        if read_only:
            conn.close()
            raise ProjectFileError(
                f"{path} was made by an older fieldnotes and needs an upgrade, but it is read-only; "
                "copy it to a folder you can write to and open the copy."
            )
        from fieldnotes.store.files import private_umask

        with private_umask():
            backup_to(conn, path.with_name(f"{path.name}.bak-v{version}"), passphrase)
        _migrate(conn)
    return conn


def checkpoint(conn: sqlite3.Connection) -> None:
    """Write the WAL back into the project file and empty it, so that the
    file alone holds everything (before it is moved or copied)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
