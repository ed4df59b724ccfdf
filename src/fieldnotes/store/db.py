"""Open and create project files.

A project is one SQLite file in WAL mode with foreign keys on, marked with an
``application_id`` so that fieldnotes can tell its own files from other SQLite
databases, and versioned with ``user_version``.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from fieldnotes.errors import ProjectFileError
from fieldnotes.store import SCHEMA_VERSION

#: "FNTS" in ASCII: marks a SQLite file as a fieldnotes project.
APPLICATION_ID = 0x464E5453
SQLITE_MAGIC = b"SQLite format 3\x00"


def _connect(path: Path, passphrase=None) -> sqlite3.Connection:
    # Autocommit unless inside ``atomic``: no transaction is ever left open
    # by accident, and every multi-statement change is explicit.
    if passphrase is not None:
        from fieldnotes.store.cipher import connect

        conn = connect(path, passphrase)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Safe with WAL: a crash can lose the last commits, never corrupt the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    from sqlite_utils import Database

    from fieldnotes.store.migrations import migrations

    migrations.apply(Database(conn))


@contextlib.contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A transaction, or a savepoint inside the one already open: everything
    in the block is written, or nothing is."""
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
    conn.execute("BEGIN")
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
    with private_umask():
        conn = _connect(path, passphrase)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        _migrate(conn)
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


def open_project_file(path: Path, *, upgrade: bool = True, passphrase=None) -> sqlite3.Connection:
    """Open an existing project, upgrading an older schema in place.

    Before an upgrade the file is copied next to itself (``NAME.bak-vN``,
    owner-only, and encrypted with the same passphrase when the project is),
    so a failed or unwanted upgrade never loses work. An encrypted project
    needs its passphrase: given here, or remembered for this process
    (:func:`fieldnotes.store.cipher.remember`).
    """
    from fieldnotes.store import cipher

    if passphrase is None and path.is_file() and cipher.looks_encrypted(path):
        passphrase = cipher.known(path)
    _check_header(path, encrypted=passphrase is not None)
    try:
        conn = _connect(path, passphrase)
        if passphrase is not None:
            cipher.remember(path, passphrase)
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                conn.close()
                raise ProjectFileError(f"{path} is an encrypted SQLite database but not a fieldnotes project.")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
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
        from fieldnotes.store.files import private_umask

        backup = path.with_name(f"{path.name}.bak-v{version}")
        with private_umask():
            target = cipher.connect(backup, passphrase, check=False) if passphrase is not None \
                else sqlite3.connect(str(backup))
            try:
                conn.backup(target)
            finally:
                target.close()
        _migrate(conn)
    return conn
