"""The query layer: every SQL statement the project API runs, by noun.

One module per part of the API (``codebook``, ``coding``, ``pseudonyms``,
``documents``). Each function takes the open ``sqlite3.Connection`` first and
returns plain rows or values; the services in the domain layer turn them into
dataclasses and apply the rules (who may do what, what counts as a match).
Nothing here opens a transaction: the caller's ``atomic()`` or undoable action
decides where one starts and ends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

#: Ids per ``IN (...)`` list: well under the 999 bound parameters older SQLite builds allow.
CHUNK = 900


def marks(values: Sequence[Any]) -> str:
    """``?,?,?``: one placeholder per value, for an ``IN (...)`` list."""
    return ",".join("?" * len(values))


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    """``ids`` in slices of at most ``size``."""
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def in_chunks(conn: sqlite3.Connection, sql: str, head: Sequence[Any], ids: Sequence[int]) -> list[Any]:
    """The first column of ``sql`` (``{marks}`` standing for the id list) over
    ``ids`` in chunks; ``head`` are the parameters before the list."""
    found: list[Any] = []
    for chunk in chunks(list(ids)):
        found += [r[0] for r in conn.execute(sql.format(marks=marks(chunk)), [*head, *chunk])]
    return found
