"""Undo and redo as row-level change sets.

Every user action (add a code, apply a coding, autocode, merge...) runs inside
:func:`Project._action`, which collects what it inserted, updated and deleted
in a :class:`ChangeSet`. The change set is stored as JSON in the ``history``
table; undoing applies its inverse (deleting what was inserted, re-inserting
what was deleted with the same ids and GUIDs, restoring updated rows) and
stores that inverse, so redo is undo of the undo. Inserted rows are recorded by
id only (cheap for an autocode run of thousands of codings); their images are
captured when they are undone.

Only tables whose primary key is ``id`` take part.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fieldnotes.errors import FieldnotesError



def _chunks(ids: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _fetch(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        cursor = conn.execute(f"SELECT * FROM {table} WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            rows[row["id"]] = row
    return [rows[i] for i in ids if i in rows]


def _insert_rows(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(f'"{n}"' for n in names)
    conn.executemany(
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(names))})",
        [[row[n] for n in names] for row in rows],
    )


def _delete_ids(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> None:
    for chunk in _chunks(list(ids)):
        conn.execute(f"DELETE FROM {table} WHERE id IN ({','.join('?' * len(chunk))})", chunk)


class ChangeSet:
    """What one action changed, in order."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.entries: list[dict[str, Any]] = []

    def inserted(self, table: str, ids: Sequence[int]) -> None:
        if ids:
            self.entries.append({"op": "insert", "t": table, "ids": list(ids)})

    def delete(self, table: str, ids: Sequence[int]) -> int:
        """Delete rows by id, remembering them. Returns how many went."""
        rows = _fetch(self.conn, table, ids)
        if rows:
            self.entries.append({"op": "delete", "t": table, "rows": rows})
            _delete_ids(self.conn, table, [r["id"] for r in rows])
        return len(rows)

    def update(self, table: str, ids: Sequence[int], sql_set: str, params: Sequence[Any] = ()) -> None:
        """``UPDATE table SET <sql_set> WHERE id IN ids``, remembering the rows before."""
        rows = _fetch(self.conn, table, ids)
        if rows:
            self.entries.append({"op": "update", "t": table, "rows": rows})
            for chunk in _chunks([r["id"] for r in rows]):
                self.conn.execute(
                    f"UPDATE {table} SET {sql_set} WHERE id IN ({','.join('?' * len(chunk))})", [*params, *chunk]
                )

    def __bool__(self) -> bool:
        return bool(self.entries)

    def to_json(self) -> str:
        return json.dumps(self.entries, ensure_ascii=False, separators=(",", ":"))


def apply_inverse(conn: sqlite3.Connection, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reverse ``entries`` (last first) and return the change set that reverses
    that again. Runs inside the caller's transaction."""
    inverse: list[dict[str, Any]] = []
    for entry in reversed(entries):
        table, op = entry["t"], entry["op"]
        if op == "insert":
            # Children were inserted after parents: delete in reverse.
            ids = list(reversed(entry["ids"]))
            rows = _fetch(conn, table, ids)
            _delete_ids(conn, table, [r["id"] for r in rows])
            inverse.append({"op": "delete", "t": table, "rows": rows})
        elif op == "delete":
            # Rows were deleted children first: re-insert parents first.
            rows = list(reversed(entry["rows"]))
            _insert_rows(conn, table, rows)
            inverse.append({"op": "insert", "t": table, "ids": [r["id"] for r in rows]})
        elif op == "update":
            ids = [r["id"] for r in entry["rows"]]
            current = _fetch(conn, table, ids)
            for row in entry["rows"]:
                names = [n for n in row if n != "id"]
                conn.execute(
                    f"UPDATE {table} SET {', '.join(f'{chr(34)}{n}{chr(34)} = ?' for n in names)} WHERE id = ?",
                    [*(row[n] for n in names), row["id"]],
                )
            inverse.append({"op": "update", "t": table, "rows": current})
        else:  # pragma: no cover - only written by this module
            raise ValueError(f"unknown change {op!r}")
    return inverse


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    at: str
    actor: str | None
    action: str
    summary: str
    state: str


class History:
    """Undoable actions of one project: record, list, undo, redo."""

    def __init__(self, project) -> None:
        self.project = project

    @property
    def conn(self):
        return self.project.conn

    @contextlib.contextmanager
    def action(self, action: str, summary: str) -> Iterator[ChangeSet]:
        """One undoable user action: a transaction whose changes are recorded
        in ``history`` and summarised in ``audit``. A new action clears redo."""
        from fieldnotes.ids import now
        from fieldnotes.store.db import atomic

        with atomic(self.conn):
            changes = ChangeSet(self.conn)
            yield changes
            if changes:
                self.conn.execute("DELETE FROM history WHERE state = 'undone'")
                self.conn.execute(
                    "INSERT INTO history(at, actor, action, summary, changes) VALUES (?, ?, ?, ?, ?)",
                    [now(), self.project.coding.coder_name(), action, summary, changes.to_json()],
                )
                self.project.audit(action, {"summary": summary})
                depth = int(self.project.setting("undo_depth", "200") or 200)
                self.conn.execute(
                    "DELETE FROM history WHERE id <= (SELECT max(id) FROM history) - ?", [depth]
                )

    def entries(self, limit: int = 20) -> list[HistoryEntry]:
        rows = self.conn.execute(
            "SELECT id, at, actor, action, summary, state FROM history ORDER BY id DESC LIMIT ?", [limit]
        ).fetchall()
        return [HistoryEntry(*r) for r in rows]

    def undo(self) -> str:
        """Undo the last action; returns its summary."""
        return self._step("done", "undone", "DESC", "undo", "Nothing to undo.")

    def redo(self) -> str:
        """Redo the last undone action; returns its summary."""
        return self._step("undone", "done", "", "redo", "Nothing to redo.")

    def _step(self, state: str, new_state: str, order: str, verb: str, nothing: str) -> str:
        """Apply the inverse of the newest ``done`` (undo) or oldest ``undone``
        (redo) action and store the inverse of that, for the opposite step."""
        from fieldnotes.store.db import atomic

        # The choice of action is read under the write lock: two undos at
        # once must not both undo the same action.
        with atomic(self.conn):
            row = self.conn.execute(
                f"SELECT id, summary, changes FROM history WHERE state = ? ORDER BY id {order} LIMIT 1", [state]
            ).fetchone()
            if row is None:
                raise FieldnotesError(nothing)
            inverse = apply_inverse(self.conn, json.loads(row[2]))
            self.conn.execute(
                "UPDATE history SET state = ?, changes = ? WHERE id = ?",
                [new_state, json.dumps(inverse, ensure_ascii=False, separators=(",", ":")), row[0]],
            )
            self.project.audit(verb, {"summary": row[1]})
        return row[1]

