"""SQL of team coding (:mod:`fieldnotes.team`): making a coder's copy, reading
a copy back for a merge, and the codings and decisions behind disagreements.

A merge holds two connections: the copy's (read) and the project's
(written). Every function here takes the one it works on first and returns
rows or values; none opens a transaction (see the package docstring). What
the codebook, coding and documents queries already say is asked there, not
here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from fieldnotes.store.queries import marks


def checkpoint(conn: sqlite3.Connection, mode: str = "PASSIVE") -> None:
    """Fold the write-ahead log into the file (``PASSIVE``: as far as other
    readers allow; ``TRUNCATE``: all of it, leaving an empty log)."""
    if mode not in ("PASSIVE", "TRUNCATE"):
        raise ValueError(f"unknown checkpoint mode {mode!r}")
    conn.execute(f"PRAGMA wal_checkpoint({mode})")


# -- making a copy ----------------------------------------------------------------------

def drop_codings_except(conn: sqlite3.Connection, coder: str) -> int:
    """Delete the codings of every coder but ``coder`` (named exactly) and the
    memos on them; returns how many codings went. Codings with no coder stay."""
    others = "SELECT id FROM coders WHERE name <> ?"
    conn.execute("DELETE FROM memos WHERE target_type = 'coding' AND target_id IN "
                 f"(SELECT id FROM codings WHERE coder_id IN ({others}))", [coder])
    return conn.execute(f"DELETE FROM codings WHERE coder_id IN ({others})", [coder]).rowcount


def clear_history(conn: sqlite3.Connection) -> None:
    """Forget every undoable action (a copy starts without the project's)."""
    conn.execute("DELETE FROM history")


def document_and_coding_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """``(documents, codings)``: what a copy holds."""
    return (conn.execute("SELECT count(*) FROM documents").fetchone()[0],
            conn.execute("SELECT count(*) FROM codings").fetchone()[0])


# -- checking and reading a copy ----------------------------------------------------------

def document_digests(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """``(guid, name, sha256)`` of every document, by name."""
    return conn.execute("SELECT guid, name, sha256 FROM documents ORDER BY name").fetchall()


def document_guids(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """``(id, guid)`` of every document."""
    return conn.execute("SELECT id, guid FROM documents").fetchall()


def case_guids(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """``(id, guid)`` of every case."""
    return conn.execute("SELECT id, guid FROM cases").fetchall()


def coder_rows(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """``(id, guid, name)`` of every coder."""
    return conn.execute("SELECT id, guid, name FROM coders").fetchall()


def coder_guid_taken(conn: sqlite3.Connection, guid: str) -> bool:
    """Whether a coder already has ``guid``."""
    return conn.execute("SELECT 1 FROM coders WHERE guid = ?", [guid]).fetchone() is not None


def coding_rows(conn: sqlite3.Connection) -> Iterator[tuple]:
    """``(id, guid, document_id, code_id, start, end, coder_id, created_at)``
    of every coding, read as they are used (a copy can hold many)."""
    return conn.execute('SELECT id, guid, document_id, code_id, start, "end", coder_id, created_at FROM codings')


def coding_guids(conn: sqlite3.Connection) -> set[str]:
    """The GUID of every coding."""
    return {r[0] for r in conn.execute("SELECT guid FROM codings")}


def coding_id_by_guid(conn: sqlite3.Connection, guid: str) -> int:
    """The id of the coding with ``guid`` (which must exist)."""
    return conn.execute("SELECT id FROM codings WHERE guid = ?", [guid]).fetchone()[0]


def coding_guids_made_by(conn: sqlite3.Connection, coder_id: int, until: str) -> list[str]:
    """GUIDs of the codings ``coder_id`` made at or before ``until``."""
    return [r[0] for r in conn.execute("SELECT guid FROM codings WHERE coder_id = ? AND created_at <= ?",
                                       [coder_id, until])]


def memo_rows(conn: sqlite3.Connection) -> Iterator[tuple]:
    """``(guid, target_type, target_id, title, text, coder_id, created_at,
    updated_at)`` of every memo, read as they are used."""
    return conn.execute("SELECT guid, target_type, target_id, title, text, coder_id, created_at, updated_at FROM memos")


def memo_by_guid(conn: sqlite3.Connection, guid: str) -> tuple[int, str, str, str] | None:
    """``(id, title, text, updated_at)`` of the memo with ``guid``, or None."""
    return conn.execute("SELECT id, title, text, updated_at FROM memos WHERE guid = ?", [guid]).fetchone()


def insert_memo_as_made(conn: sqlite3.Connection, guid: str, target_type: str, target_id: int | None,
                        title: str, text: str, coder_id: int | None, created_at: str, updated_at: str) -> int:
    """Add a memo brought from a copy, keeping when it was written and when it
    was last edited (``coding.insert_memo`` stamps a new memo with one time);
    returns the new id."""
    return conn.execute(
        "INSERT INTO memos(guid, target_type, target_id, title, text, coder_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [guid, target_type, target_id, title, text, coder_id, created_at, updated_at]).lastrowid


# -- disagreements ----------------------------------------------------------------------------

def coded_ranges_by(conn: sqlite3.Connection, coder_ids: Sequence[int], *, code_id: int | None = None,
                    document_id: int | None = None) -> list[tuple[str, int, int, int, int]]:
    """``(document name, code_id, coder_id, start, end)`` of the codings by
    any of ``coder_ids`` (of one code, in one document, when given), by
    document name."""
    sql = ('SELECT d.name, c.code_id, c.coder_id, c.start, c."end" FROM codings c '
           f"JOIN documents d ON d.id = c.document_id WHERE c.coder_id IN ({marks(coder_ids)})")
    params: list[Any] = list(coder_ids)
    if code_id is not None:
        sql += " AND c.code_id = ?"
        params.append(code_id)
    if document_id is not None:
        sql += " AND c.document_id = ?"
        params.append(document_id)
    return conn.execute(sql + " ORDER BY d.name", params).fetchall()


def document_memo_titles(conn: sqlite3.Connection, prefix: str) -> set[str]:
    """The titles of the memos on documents that start with ``prefix``
    (``%`` and ``_`` in it match any text, as in LIKE)."""
    return {r[0] for r in conn.execute(
        "SELECT title FROM memos WHERE target_type = 'document' AND title LIKE ?", [prefix + "%"])}
