"""SQL for cases, speaker links, variables and attribute values."""

from __future__ import annotations

import sqlite3
from typing import Any

from fieldnotes.store.queries import marks


# -- cases ------------------------------------------------------------------------

def case_names(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return conn.execute("SELECT id, name FROM cases ORDER BY name").fetchall()


def case_id(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT id FROM cases WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def insert_case(conn: sqlite3.Connection, guid: str, name: str) -> int:
    return conn.execute("INSERT INTO cases(guid, name) VALUES (?, ?)", [guid, name]).lastrowid


def link_document(conn: sqlite3.Connection, doc_id: int, case_id: int) -> None:
    conn.execute("INSERT OR IGNORE INTO document_cases(document_id, case_id) VALUES (?, ?)", [doc_id, case_id])


def cases_by_document(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return conn.execute(
        "SELECT dc.document_id, c.name FROM document_cases dc JOIN cases c ON c.id = dc.case_id ORDER BY c.name"
    ).fetchall()


def documents_by_case(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """``(case id, document name)`` of every link, by document name."""
    return conn.execute(
        "SELECT dc.case_id, d.name FROM document_cases dc JOIN documents d ON d.id = dc.document_id "
        "ORDER BY d.name").fetchall()


# -- speakers -----------------------------------------------------------------------

def speakers_in(conn: sqlite3.Connection, doc_id: int) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT speaker FROM turns WHERE document_id = ? AND speaker IS NOT NULL ORDER BY speaker", [doc_id])]


def link_speaker(conn: sqlite3.Connection, doc_id: int, speaker: str, case_id: int) -> None:
    conn.execute(
        "INSERT INTO speaker_cases(document_id, speaker, case_id) VALUES (?, ?, ?) "
        "ON CONFLICT(document_id, speaker) DO UPDATE SET case_id = excluded.case_id", [doc_id, speaker, case_id])


def unlink_speaker(conn: sqlite3.Connection, doc_id: int, speaker: str) -> int:
    return conn.execute("DELETE FROM speaker_cases WHERE document_id = ? AND speaker = ?", [doc_id, speaker]).rowcount


def speaker_links(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    return conn.execute(
        "SELECT sc.document_id, sc.speaker, c.name FROM speaker_cases sc JOIN cases c ON c.id = sc.case_id").fetchall()


def speakers_by_case(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """``(case id, document name, speaker label)`` of every speaker link, by document name."""
    return conn.execute(
        "SELECT sc.case_id, d.name, sc.speaker FROM speaker_cases sc JOIN documents d ON d.id = sc.document_id "
        "ORDER BY d.name").fetchall()


# -- variables and values --------------------------------------------------------------

def variables(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    return conn.execute("SELECT id, name, type FROM variables ORDER BY name").fetchall()


def variable(conn: sqlite3.Connection, name: str) -> tuple[int, str] | None:
    return conn.execute("SELECT id, type FROM variables WHERE name = ?", [name]).fetchone()


def insert_variable(conn: sqlite3.Connection, guid: str, name: str, type_: str) -> int:
    return conn.execute("INSERT INTO variables(guid, name, type) VALUES (?, ?, ?)", [guid, name, type_]).lastrowid


def retype_variable(conn: sqlite3.Connection, var_id: int, type_: str) -> None:
    """Change a variable's type and convert its stored values to it."""
    conn.execute("UPDATE variables SET type = ? WHERE id = ?", [type_, var_id])
    cast = "REAL" if type_ == "number" else "TEXT"
    conn.execute(f"UPDATE attributes SET value = CAST(value AS {cast}) WHERE variable_id = ?", [var_id])


def set_value(conn: sqlite3.Connection, var_id: int, owner_type: str, owner_id: int, value: Any) -> None:
    conn.execute(
        "INSERT INTO attributes(variable_id, owner_type, owner_id, value) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(variable_id, owner_type, owner_id) DO UPDATE SET value = excluded.value",
        [var_id, owner_type, owner_id, value])


def delete_values_of(conn: sqlite3.Connection, owner_type: str, owner_id: int) -> None:
    conn.execute("DELETE FROM attributes WHERE owner_type = ? AND owner_id = ?", [owner_type, owner_id])


def values_by_owner(conn: sqlite3.Connection, owner_type: str, owner_id: int | None = None):
    """``(owner id, variable name, value)`` rows, by variable name."""
    sql = ("SELECT a.owner_id, v.name, a.value FROM attributes a JOIN variables v ON v.id = a.variable_id "
           "WHERE a.owner_type = ?" + (" AND a.owner_id = ?" if owner_id is not None else "") + " ORDER BY v.name")
    return conn.execute(sql, [owner_type] if owner_id is None else [owner_type, owner_id])


def values_of_variable(conn: sqlite3.Connection, var_id: int, owner_type: str = "document") -> dict[int, Any]:
    """Owner id -> value of one variable."""
    return dict(conn.execute(
        "SELECT owner_id, value FROM attributes WHERE variable_id = ? AND owner_type = ?", [var_id, owner_type]))


def distinct_values(conn: sqlite3.Connection, var_id: int) -> list[Any]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT value FROM attributes WHERE variable_id = ? ORDER BY value", [var_id])]


def documents_with_variable(conn: sqlite3.Connection, var_id: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM attributes WHERE variable_id = ? AND owner_type = 'document'", [var_id]).fetchone()[0]


def documents_with_values(conn: sqlite3.Connection, var_id: int, values: list[Any]) -> set[int]:
    return {r[0] for r in conn.execute(
        "SELECT owner_id FROM attributes WHERE owner_type = 'document' AND variable_id = ? "
        f"AND value IN ({marks(values)})", [var_id, *values])}
