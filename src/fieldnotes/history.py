"""Undo and redo as row-level change sets.

Every user action (add a code, apply a coding, autocode, merge...) runs inside
:meth:`History.action` (``project.history.action``), which collects what it inserted, updated and deleted
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.service import Service
from fieldnotes.store.queries import history as queries


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
        rows = queries.fetch_rows(self.conn, table, ids)
        if rows:
            self.entries.append({"op": "delete", "t": table, "rows": rows})
            queries.delete_rows(self.conn, table, [r["id"] for r in rows])
        return len(rows)

    def update(self, table: str, ids: Sequence[int], sql_set: str, params: Sequence[Any] = ()) -> None:
        """``UPDATE table SET <sql_set> WHERE id IN ids``, remembering the rows before."""
        rows = queries.fetch_rows(self.conn, table, ids)
        if rows:
            self.entries.append({"op": "update", "t": table, "rows": rows})
            queries.update_rows(self.conn, table, [r["id"] for r in rows], sql_set, params)

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
            rows = queries.fetch_rows(conn, table, ids)
            queries.delete_rows(conn, table, [r["id"] for r in rows])
            inverse.append({"op": "delete", "t": table, "rows": rows})
        elif op == "delete":
            # Rows were deleted children first: re-insert parents first.
            rows = list(reversed(entry["rows"]))
            queries.insert_rows(conn, table, rows)
            inverse.append({"op": "insert", "t": table, "ids": [r["id"] for r in rows]})
        elif op == "update":
            ids = [r["id"] for r in entry["rows"]]
            current = queries.fetch_rows(conn, table, ids)
            for row in entry["rows"]:
                queries.restore_row(conn, table, row)
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


class History(Service):
    """Undoable actions of one project: record, list, undo, redo."""

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
                depth = int(self.project.setting("undo_depth", "200") or 200)
                queries.record(self.conn, now(), self.project.coders.coder_name(), action, summary,
                               changes.to_json(), depth)
                self.project.audit(action, {"summary": summary})

    def entries(self, limit: int = 20) -> list[HistoryEntry]:
        """The newest ``limit`` actions, newest first."""
        return [HistoryEntry(*r) for r in queries.entries(self.conn, limit)]

    def undo(self) -> str:
        """Undo the last action; returns its summary."""
        return self._step("done", "undone", True, "undo", "Nothing to undo.")

    def redo(self) -> str:
        """Redo the last undone action; returns its summary."""
        return self._step("undone", "done", False, "redo", "Nothing to redo.")

    def _step(self, state: str, new_state: str, newest: bool, verb: str, nothing: str) -> str:
        """Apply the inverse of the newest ``done`` (undo) or oldest ``undone``
        (redo) action and store the inverse of that, for the opposite step."""
        from fieldnotes.store.db import atomic

        # The choice of action is read under the write lock: two undos at
        # once must not both undo the same action.
        with atomic(self.conn):
            row = queries.next_step(self.conn, state, newest)
            if row is None:
                raise FieldnotesError(nothing)
            inverse = apply_inverse(self.conn, json.loads(row[2]))
            queries.set_state(self.conn, row[0], new_state,
                              json.dumps(inverse, ensure_ascii=False, separators=(",", ":")))
            self.project.audit(verb, {"summary": row[1]})
        return row[1]

