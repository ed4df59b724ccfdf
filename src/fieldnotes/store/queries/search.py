"""SQL for full-text search: the documents' FTS5 index and a temporary
index of turns and paragraphs built on the fly."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

#: ``(document id, name, text with hits marked \x02...\x03)`` of the matching documents, best first.
_DOCUMENTS = ("SELECT d.id, d.name, highlight(documents_fts, 0, char(2), char(3)) "
              "FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
              "WHERE documents_fts MATCH ? ORDER BY rank")
#: ``(document id, unit start, marked unit text)`` of the matching units.
_UNITS = "SELECT doc, start, highlight(search_units, 0, char(2), char(3)) FROM temp.search_units WHERE search_units MATCH ?"


def match_documents(conn: sqlite3.Connection, query: str) -> list[tuple[int, Any, str]]:
    """Raises ``sqlite3.OperationalError`` when ``query`` is not FTS5 syntax."""
    return conn.execute(_DOCUMENTS, [query]).fetchall()


def match_units(conn: sqlite3.Connection, query: str) -> list[tuple[int, Any, str]]:
    """Raises ``sqlite3.OperationalError`` when ``query`` is not FTS5 syntax."""
    return conn.execute(_UNITS, [query]).fetchall()


def create_units(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_units USING fts5("
                 "text, doc UNINDEXED, start UNINDEXED, tokenize='unicode61 remove_diacritics 2')")


def clear_units(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM temp.search_units")


def add_units(conn: sqlite3.Connection, rows: Iterable[tuple[str, int, int]]) -> None:
    """``(text, document id, start)`` rows."""
    conn.executemany("INSERT INTO temp.search_units(text, doc, start) VALUES (?, ?, ?)", rows)
