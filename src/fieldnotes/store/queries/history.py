"""SQL of undo and redo (:mod:`fieldnotes.history`): rows fetched, deleted,
re-inserted and restored by id, and the ``history`` table itself.

``table`` and column names come from the change sets the history module
writes (never from a user); values are always bound parameters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from fieldnotes.store.queries import chunks as _chunks
from fieldnotes.store.queries import marks as _marks


# -- rows of any table with an ``id`` primary key -----------------------------------------

def fetch_rows(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The rows of ``table`` with these ids, as column -> value, in the order
    of ``ids`` (ids not there are left out)."""
    rows: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        cursor = conn.execute(f"SELECT * FROM {table} WHERE id IN ({_marks(chunk)})", chunk)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            rows[row["id"]] = row
    return [rows[i] for i in ids if i in rows]


def insert_rows(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows as :func:`fetch_rows` returned them (same ids)."""
    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(f'"{n}"' for n in names)
    conn.executemany(
        f"INSERT INTO {table} ({columns}) VALUES ({_marks(names)})",
        [[row[n] for n in names] for row in rows],
    )


def delete_rows(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> None:
    """Delete the rows of ``table`` with these ids."""
    for chunk in _chunks(list(ids)):
        conn.execute(f"DELETE FROM {table} WHERE id IN ({_marks(chunk)})", chunk)


def update_rows(conn: sqlite3.Connection, table: str, ids: Sequence[int], sql_set: str,
                params: Sequence[Any] = ()) -> None:
    """``UPDATE table SET <sql_set> WHERE id IN ids``."""
    for chunk in _chunks(list(ids)):
        conn.execute(f"UPDATE {table} SET {sql_set} WHERE id IN ({_marks(chunk)})", [*params, *chunk])


def restore_row(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    """Set every column of the row with ``row["id"]`` back to ``row``."""
    names = [n for n in row if n != "id"]
    conn.execute(
        f"UPDATE {table} SET {', '.join(f'{chr(34)}{n}{chr(34)} = ?' for n in names)} WHERE id = ?",
        [*(row[n] for n in names), row["id"]],
    )


# -- the history table --------------------------------------------------------------------

def record(conn: sqlite3.Connection, at: str, actor: str, action: str, summary: str, changes: str,
           depth: int) -> None:
    """Store a new done action; forget every undone one (a new action ends
    redo) and all but the newest ``depth``."""
    conn.execute("DELETE FROM history WHERE state = 'undone'")
    conn.execute("INSERT INTO history(at, actor, action, summary, changes) VALUES (?, ?, ?, ?, ?)",
                 [at, actor, action, summary, changes])
    conn.execute("DELETE FROM history WHERE id <= (SELECT max(id) FROM history) - ?", [depth])


def entries(conn: sqlite3.Connection, limit: int) -> list[tuple]:
    """``(id, at, actor, action, summary, state)``, newest first."""
    return conn.execute(
        "SELECT id, at, actor, action, summary, state FROM history ORDER BY id DESC LIMIT ?", [limit]).fetchall()


def next_step(conn: sqlite3.Connection, state: str, newest: bool) -> tuple[int, str, str] | None:
    """``(id, summary, changes)`` of the newest (else oldest) action in ``state``."""
    return conn.execute(
        f"SELECT id, summary, changes FROM history WHERE state = ? ORDER BY id {'DESC' if newest else 'ASC'} LIMIT 1",
        [state]).fetchone()


def set_state(conn: sqlite3.Connection, history_id: int, state: str, changes: str) -> None:
    """Mark an action done or undone, with the changes that reverse it."""
    conn.execute("UPDATE history SET state = ?, changes = ? WHERE id = ?", [state, changes, history_id])
