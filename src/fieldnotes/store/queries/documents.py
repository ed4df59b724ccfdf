"""SQL for documents, their turns, settings and the audit log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from fieldnotes.store.queries import marks

_TURN_COLUMNS = 'seq, speaker, start, "end", time_start, time_end'


# -- documents ---------------------------------------------------------------------

def names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM documents")]


def id_by_name(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT id FROM documents WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def name_by_sha256(conn: sqlite3.Connection, digest: str) -> str | None:
    row = conn.execute("SELECT name FROM documents WHERE sha256 = ?", [digest]).fetchone()
    return row[0] if row else None


def digests(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT sha256 FROM documents")}


def text(conn: sqlite3.Connection, doc_id: int) -> str:
    return conn.execute("SELECT text FROM documents WHERE id = ?", [doc_id]).fetchone()[0]


def summaries(conn: sqlite3.Connection) -> list[tuple]:
    """``(id, name, kind, format, words, imported_at, turns, codings)`` by name."""
    return conn.execute(
        "SELECT d.id, d.name, d.kind, d.format, d.words, d.imported_at, "
        "(SELECT count(*) FROM turns t WHERE t.document_id = d.id), "
        "(SELECT count(*) FROM codings c WHERE c.document_id = d.id) "
        "FROM documents d ORDER BY d.name").fetchall()


def row(conn: sqlite3.Connection, doc_id: int) -> tuple:
    """``(id, guid, name, kind, format, text, words, sha256, source_path, encoding, imported_at)``."""
    return conn.execute(
        "SELECT id, guid, name, kind, format, text, words, sha256, source_path, encoding, imported_at "
        "FROM documents WHERE id = ?", [doc_id]).fetchone()


def kinds(conn: sqlite3.Connection) -> dict[int, str]:
    return dict(conn.execute("SELECT id, kind FROM documents").fetchall())


def ids_of_kinds(conn: sqlite3.Connection, kinds_: list[str]) -> set[int]:
    return {r[0] for r in conn.execute(
        f"SELECT id FROM documents WHERE kind IN ({marks(kinds_)})", kinds_)}


def ids_of_cases(conn: sqlite3.Connection, case_ids: list[int]) -> set[int]:
    return {r[0] for r in conn.execute(
        f"SELECT document_id FROM document_cases WHERE case_id IN ({marks(case_ids)})", case_ids)}


def cases_of(conn: sqlite3.Connection, doc_id: int) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT c.name FROM document_cases dc JOIN cases c ON c.id = dc.case_id "
        "WHERE dc.document_id = ? ORDER BY c.name", [doc_id])]


def insert(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    """Insert one document row (every column named in ``values``); its id."""
    columns = ", ".join(values)
    return conn.execute(f"INSERT INTO documents({columns}) VALUES ({', '.join('?' * len(values))})",
                        list(values.values())).lastrowid


def delete(conn: sqlite3.Connection, doc_id: int) -> None:
    conn.execute("DELETE FROM documents WHERE id = ?", [doc_id])


def codings_count(conn: sqlite3.Connection, doc_id: int) -> int:
    return conn.execute("SELECT count(*) FROM codings WHERE document_id = ?", [doc_id]).fetchone()[0]


# -- turns ---------------------------------------------------------------------------

def turns(conn: sqlite3.Connection, doc_id: int) -> list[tuple]:
    return conn.execute(
        f"SELECT {_TURN_COLUMNS} FROM turns WHERE document_id = ? ORDER BY seq", [doc_id]).fetchall()


def all_turns(conn: sqlite3.Connection) -> Iterable[tuple]:
    """``(document_id, seq, speaker, start, end, time_start, time_end)`` in document order."""
    return conn.execute(f"SELECT document_id, {_TURN_COLUMNS} FROM turns ORDER BY document_id, seq")


def insert_turns(conn: sqlite3.Connection, doc_id: int, turns_: Iterable) -> None:
    conn.executemany(
        'INSERT INTO turns(document_id, seq, speaker, start, "end", time_start, time_end) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [(doc_id, i, t.speaker, t.start, t.end, t.time_start, t.time_end) for i, t in enumerate(turns_)])


def turn_spans(conn: sqlite3.Connection, doc_id: int) -> list[tuple[int, int, str | None]]:
    return conn.execute('SELECT start, "end", speaker FROM turns WHERE document_id = ? ORDER BY seq',
                        [doc_id]).fetchall()


# -- settings and audit ---------------------------------------------------------------

def setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def settings(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall())


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])


def audit(conn: sqlite3.Connection, at: str, actor: str, action: str, detail: str) -> None:
    conn.execute("INSERT INTO audit(at, actor, action, detail) VALUES (?, ?, ?, ?)", [at, actor, action, detail])


def data_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA data_version").fetchone()[0]


# -- summary ----------------------------------------------------------------------------

def counts(conn: sqlite3.Connection) -> dict[str, Any]:
    """Rows per table, words, kinds, speakers and the schema version, for ``info``."""
    def count(table: str) -> int:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    return {
        "schema_version": conn.execute("PRAGMA user_version").fetchone()[0],
        "documents": count("documents"),
        "kinds": dict(conn.execute("SELECT kind, count(*) FROM documents GROUP BY kind ORDER BY kind").fetchall()),
        "words": conn.execute("SELECT ifnull(sum(words), 0) FROM documents").fetchone()[0],
        "turns": count("turns"),
        "speakers": conn.execute("SELECT count(DISTINCT speaker) FROM turns").fetchone()[0],
        "cases": count("cases"),
        "attributes": count("variables"),
        "codes": count("codes"),
        "codings": count("codings"),
        "memos": count("memos"),
        "entities": count("entities"),
    }
