"""SQL of coders, codings and memos (the services in :mod:`fieldnotes.coding`).

Every function takes the open connection first and returns rows or values;
none opens a transaction (see the package docstring).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from fieldnotes.store.queries import CHUNK
from fieldnotes.store.queries import marks as _marks


# -- coders -------------------------------------------------------------------------

def coders(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """``(id, name)`` of every coder, by name."""
    return conn.execute("SELECT id, name FROM coders ORDER BY name").fetchall()


def coders_with_codings(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """``(id, name)`` of the coders who have at least one coding, by name."""
    return conn.execute(
        "SELECT k.id, k.name FROM coders k WHERE EXISTS (SELECT 1 FROM codings c WHERE c.coder_id = k.id) "
        "ORDER BY k.name").fetchall()


def insert_coder(conn: sqlite3.Connection, guid: str, name: str, created_at: str) -> int:
    """Add a coder; returns the new id."""
    return conn.execute("INSERT INTO coders(guid, name, created_at) VALUES (?, ?, ?)",
                        [guid, name, created_at]).lastrowid


# -- codings ------------------------------------------------------------------------

_INSERT_CODING = ('INSERT OR IGNORE INTO codings(guid, document_id, code_id, start, "end", coder_id, created_at) '
                  "VALUES (?, ?, ?, ?, ?, ?, ?)")


def insert_coding(conn: sqlite3.Connection, guid: str, document_id: int, code_id: int, start: int, end: int,
                  coder_id: int, created_at: str) -> int | None:
    """Add one coding; returns its id, or None when the same code on the same
    range by the same coder is already there."""
    cursor = conn.execute(_INSERT_CODING, [guid, document_id, code_id, start, end, coder_id, created_at])
    return cursor.lastrowid if cursor.rowcount else None


def coding_id_of(conn: sqlite3.Connection, document_id: int, code_id: int, start: int, end: int,
                 coder_id: int) -> int:
    """The id of the coding of ``code_id`` on ``start``-``end`` by ``coder_id``."""
    return conn.execute(
        'SELECT id FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND "end" = ? '
        "AND ifnull(coder_id, 0) = ?", [document_id, code_id, start, end, coder_id]).fetchone()[0]


def insert_codings(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> list[int]:
    """Add many codings, each ``(guid, document_id, code_id, start, end,
    coder_id, created_at)``, skipping those already there; returns the new ids."""
    before = conn.execute("SELECT ifnull(max(id), 0) FROM codings").fetchone()[0]
    conn.executemany(_INSERT_CODING, rows)
    return [r[0] for r in conn.execute("SELECT id FROM codings WHERE id > ? ORDER BY id", [before])]


def document_lengths(conn: sqlite3.Connection) -> dict[int, int]:
    """Document id -> length of its text in characters."""
    return dict(conn.execute("SELECT id, length(text) FROM documents").fetchall())


def documents_with_text(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """``(id, name, text)`` of every document, by name."""
    return conn.execute("SELECT id, name, text FROM documents ORDER BY name").fetchall()


def codings(conn: sqlite3.Connection, *, coding_id: int | None = None, document_id: int | None = None,
            code_ids: Sequence[int] | None = None) -> list[tuple]:
    """``(id, guid, document_id, document name, code_id, start, end, coder
    name, created_at)`` of the codings matching every filter given, in
    document and text order."""
    clauses, params = [], []
    if coding_id is not None:
        clauses.append("c.id = ?")
        params.append(coding_id)
    if document_id is not None:
        clauses.append("c.document_id = ?")
        params.append(document_id)
    if code_ids is not None:
        clauses.append(f"c.code_id IN ({_marks(code_ids)})")
        params += code_ids
    return conn.execute(
        'SELECT c.id, c.guid, c.document_id, d.name, c.code_id, c.start, c."end", k.name, c.created_at '
        "FROM codings c JOIN documents d ON d.id = c.document_id LEFT JOIN coders k ON k.id = c.coder_id "
        f"WHERE {' AND '.join(clauses) or '1'} ORDER BY d.name, c.start, c.\"end\", c.id",
        params).fetchall()


def coding_ids_at(conn: sqlite3.Connection, document_id: int, offset: int) -> list[int]:
    """Ids of the codings of a document that cover character ``offset``."""
    return [r[0] for r in conn.execute(
        'SELECT id FROM codings WHERE document_id = ? AND start <= ? AND "end" > ? ORDER BY start',
        [document_id, offset, offset])]


def coding_spans(conn: sqlite3.Connection, document_id: int) -> list[tuple[int, int, int, int]]:
    """``(coding id, code id, start, end)`` of a document's codings, by start."""
    return conn.execute(
        'SELECT id, code_id, start, "end" FROM codings WHERE document_id = ? ORDER BY start',
        [document_id]).fetchall()


def coded_ranges(conn: sqlite3.Connection, code_id: int, coder_id: int | None) -> set[tuple[int, int, int]]:
    """``(document id, start, end)`` already coded with ``code_id`` by
    ``coder_id`` (None: a coder not in the project yet, so none)."""
    return set(conn.execute(
        'SELECT document_id, start, "end" FROM codings WHERE code_id = ? AND ifnull(coder_id, 0) = ?',
        [code_id, -1 if coder_id is None else coder_id]).fetchall())


def passage_rows(conn: sqlite3.Connection, code_ids: Sequence[int], coder_id: int | None = None) -> list[tuple]:
    """``(coding id, document id, document name, code id, start, end, coder
    name)`` of the codings of ``code_ids`` (by one coder when given), in
    document and text order."""
    sql = ('SELECT c.id, d.id, d.name, c.code_id, c.start, c."end", k.name '
           "FROM codings c JOIN documents d ON d.id = c.document_id LEFT JOIN coders k ON k.id = c.coder_id "
           f"WHERE c.code_id IN ({_marks(code_ids)})")
    params: list[Any] = list(code_ids)
    if coder_id is not None:
        sql += " AND c.coder_id = ?"
        params.append(coder_id)
    return conn.execute(sql + ' ORDER BY d.name, c.start, c."end"', params).fetchall()


# -- memos --------------------------------------------------------------------------

def insert_memo(conn: sqlite3.Connection, guid: str, target_type: str, target_id: int | None, title: str,
                text: str, coder_id: int | None, stamp: str) -> int:
    """Add a memo (created and updated at ``stamp``); returns the new id."""
    return conn.execute(
        "INSERT INTO memos(guid, target_type, target_id, title, text, coder_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [guid, target_type, target_id, title, text, coder_id, stamp, stamp]).lastrowid


def memos(conn: sqlite3.Connection, *, memo_id: int | None = None, target_type: str | None = None,
          by_target: bool = False, target_id: int | None = None) -> list[tuple]:
    """``(id, guid, target_type, target_id, title, text, coder name,
    updated_at)`` of the memos matching the filters, oldest first;
    ``by_target`` also matches ``target_id`` (None: the project)."""
    clauses, params = [], []
    if memo_id is not None:
        clauses.append("m.id = ?")
        params.append(memo_id)
    if target_type is not None:
        clauses.append("m.target_type = ?")
        params.append(target_type)
    if by_target:
        clauses.append("m.target_id IS ?")
        params.append(target_id)
    return conn.execute(
        "SELECT m.id, m.guid, m.target_type, m.target_id, m.title, m.text, k.name, m.updated_at "
        "FROM memos m LEFT JOIN coders k ON k.id = m.coder_id "
        f"WHERE {' AND '.join(clauses) or '1'} ORDER BY m.id", params).fetchall()


def memo_ids(conn: sqlite3.Connection, target_type: str, target_ids: Sequence[int]) -> list[int]:
    """Ids of the memos on any of ``target_ids`` of ``target_type``."""
    found: list[int] = []
    for i in range(0, len(target_ids), CHUNK):
        chunk = list(target_ids[i:i + CHUNK])
        found += [r[0] for r in conn.execute(
            f"SELECT id FROM memos WHERE target_type = ? AND target_id IN ({_marks(chunk)})", [target_type, *chunk])]
    return found


def target_names(conn: sqlite3.Connection) -> dict[tuple[str, int | None], str]:
    """``(target_type, id)`` -> name for the documents, cases and codings a
    memo can be on (codes are named by the codebook)."""
    names: dict[tuple[str, int | None], str] = {}
    names.update({("document", i): n for i, n in conn.execute("SELECT id, name FROM documents")})
    names.update({("case", i): n for i, n in conn.execute("SELECT id, name FROM cases")})
    names.update({("coding", i): f"coding {i}" for (i,) in conn.execute("SELECT id FROM codings")})
    return names
