"""The codebook's SQL: codes, their order among siblings, and the codings and
memos that hang on them. See the package docstring for the convention."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

#: The text fields of a code, in the column order of the ``codes`` table.
TEXT_FIELDS = ("description", "inclusion", "exclusion", "example")

from fieldnotes.store.queries import in_chunks as _in_chunks


def code_rows(conn: sqlite3.Connection) -> list[tuple]:
    """Every code as ``(id, guid, parent_id, name, description, inclusion,
    exclusion, example, colour, sort_order)``, siblings' order first."""
    return conn.execute(
        "SELECT id, guid, parent_id, name, description, inclusion, exclusion, example, colour, sort_order "
        "FROM codes ORDER BY sort_order, name"
    ).fetchall()


def coding_counts(conn: sqlite3.Connection) -> dict[int, int]:
    """Codings per code id (codes without codings are absent)."""
    return dict(conn.execute("SELECT code_id, count(*) FROM codings GROUP BY code_id").fetchall())


def children(conn: sqlite3.Connection, parent_id: int | None) -> list[tuple[int, str]]:
    """``(id, name)`` of the codes directly under ``parent_id`` (None: top level)."""
    return conn.execute("SELECT id, name FROM codes WHERE ifnull(parent_id, 0) = ?", [parent_id or 0]).fetchall()


def sibling_index(conn: sqlite3.Connection) -> list[tuple[int, int | None, str, int | None, str | None]]:
    """``(id, parent_id, name, sort_order, colour)`` of every code: what a
    bulk import keeps in memory instead of asking per code."""
    return conn.execute("SELECT id, parent_id, name, sort_order, colour FROM codes").fetchall()


def parent_id(conn: sqlite3.Connection, code_id: int) -> int | None:
    return conn.execute("SELECT parent_id FROM codes WHERE id = ?", [code_id]).fetchone()[0]


def colour(conn: sqlite3.Connection, code_id: int) -> str | None:
    row = conn.execute("SELECT colour FROM codes WHERE id = ?", [code_id]).fetchone()
    return row[0] if row else None


def fields(conn: sqlite3.Connection, code_id: int) -> dict[str, Any]:
    """The text fields and colour of one code, by field name."""
    names = (*TEXT_FIELDS, "colour")
    row = conn.execute(f"SELECT {', '.join(names)} FROM codes WHERE id = ?", [code_id]).fetchone()
    return dict(zip(names, row))


def next_order(conn: sqlite3.Connection, parent_id: int | None) -> int:
    """The ``sort_order`` that puts a new code last among ``parent_id``'s children."""
    return conn.execute(
        "SELECT ifnull(max(sort_order), -1) + 1 FROM codes WHERE ifnull(parent_id, 0) = ?", [parent_id or 0]
    ).fetchone()[0]


def top_level_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM codes WHERE parent_id IS NULL").fetchone()[0]


def guids(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT guid FROM codes")}


def insert_code(conn: sqlite3.Connection, *, guid: str, parent_id: int | None, name: str, texts: Sequence[str],
                colour: str | None, sort_order: int, created_at: str) -> int:
    """Insert one code; ``texts`` in :data:`TEXT_FIELDS` order. Returns its id."""
    return conn.execute(
        "INSERT INTO codes(guid, parent_id, name, description, inclusion, exclusion, example, colour, "
        "sort_order, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [guid, parent_id, name, *texts, colour, sort_order, created_at],
    ).lastrowid


def duplicate_codings(conn: sqlite3.Connection, source_id: int, target_id: int) -> list[tuple[int, int]]:
    """``(source coding, target coding)`` pairs on the same range of the same
    document by the same coder: what a merge of ``source_id`` into
    ``target_id`` would duplicate."""
    return conn.execute(
        'SELECT s.id, t.id FROM codings s JOIN codings t ON t.code_id = ? AND t.document_id = s.document_id '
        'AND t.start = s.start AND t."end" = s."end" AND ifnull(t.coder_id, 0) = ifnull(s.coder_id, 0) '
        "WHERE s.code_id = ?", [target_id, source_id]).fetchall()


def coding_ids(conn: sqlite3.Connection, code_ids: Sequence[int]) -> list[int]:
    """Ids of the codings of any of ``code_ids``."""
    return _in_chunks(conn, "SELECT id FROM codings WHERE code_id IN ({marks})", [], code_ids)

