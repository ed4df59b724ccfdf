"""The SQL of REFI-QDA exchange (:mod:`fieldnotes.exchange.qdpx`): what an
export reads, in the order the file lists it, and what an import writes
into a fresh project (inside the importer's transaction)."""

from __future__ import annotations

import sqlite3
from typing import Any

# -- reading, for an export ----------------------------------------------------------


def coders(conn: sqlite3.Connection) -> list[tuple[int, str | None, str]]:
    """``(id, guid, name)`` of every coder, by id."""
    return conn.execute("SELECT id, guid, name FROM coders ORDER BY id").fetchall()


def first_coder(conn: sqlite3.Connection) -> int | None:
    """The id of the project's first coder, or None."""
    row = conn.execute("SELECT id FROM coders ORDER BY id LIMIT 1").fetchone()
    return row[0] if row else None


def memos(conn: sqlite3.Connection) -> list[tuple]:
    """``(id, guid, target_type, target_id, title, text, coder_id,
    created_at, updated_at)`` of every memo, by id."""
    return conn.execute(
        "SELECT id, guid, target_type, target_id, title, text, coder_id, created_at, updated_at "
        "FROM memos ORDER BY id").fetchall()


def variables(conn: sqlite3.Connection) -> list[tuple[int, str | None, str, str, str | None]]:
    """``(id, guid, name, type, description)`` of every variable, by name."""
    return conn.execute("SELECT id, guid, name, type, description FROM variables ORDER BY name").fetchall()


def attribute_values(conn: sqlite3.Connection) -> list[tuple[int, str, int, Any]]:
    """``(variable_id, owner_type, owner_id, value)`` of every attribute, by
    variable name."""
    return conn.execute(
        "SELECT a.variable_id, a.owner_type, a.owner_id, a.value FROM attributes a "
        "JOIN variables v ON v.id = a.variable_id ORDER BY v.name").fetchall()


def cases(conn: sqlite3.Connection) -> list[tuple[int, str | None, str, str | None]]:
    """``(id, guid, name, description)`` of every case, by name."""
    return conn.execute("SELECT id, guid, name, description FROM cases ORDER BY name").fetchall()


def case_members(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """``(document_id, case_id)`` of every membership, by document name."""
    return conn.execute(
        "SELECT dc.document_id, dc.case_id FROM document_cases dc JOIN documents d ON d.id = dc.document_id "
        "ORDER BY d.name").fetchall()


def document_guids(conn: sqlite3.Connection) -> dict[int, str | None]:
    """Document id -> stored GUID."""
    return dict(conn.execute("SELECT id, guid FROM documents"))


def documents(conn: sqlite3.Connection) -> list[tuple[int, str | None, str, str, str | None]]:
    """``(id, guid, name, kind, imported_at)`` of every document, by name."""
    return conn.execute("SELECT id, guid, name, kind, imported_at FROM documents ORDER BY name").fetchall()


def document_codings(conn: sqlite3.Connection, doc_id: int) -> list[tuple]:
    """``(id, guid, code_id, start, end, coder_id, created_at)`` of a
    document's codings, in text order."""
    return conn.execute(
        'SELECT id, guid, code_id, start, "end", coder_id, created_at FROM codings '
        'WHERE document_id = ? ORDER BY start, "end", id', [doc_id]).fetchall()


def document_origin(conn: sqlite3.Connection, doc_id: int) -> tuple[str, str | None, str | None, str | None]:
    """``(name, format, encoding, sha256)`` of a document: where its text came from."""
    return conn.execute("SELECT name, format, encoding, sha256 FROM documents WHERE id = ?", [doc_id]).fetchone()


# -- writing, for an import into a new project -----------------------------------------


def add_coder(conn: sqlite3.Connection, guid: str, name: str, created_at: str) -> None:
    """A coder row."""
    conn.execute("INSERT INTO coders(guid, name, created_at) VALUES (?, ?, ?)", [guid, name, created_at])


def count_coders(conn: sqlite3.Connection) -> int:
    """How many coders the project has."""
    return conn.execute("SELECT count(*) FROM coders").fetchone()[0]


def add_variable(conn: sqlite3.Connection, guid: str, name: str, type_: str, description: str) -> None:
    """A variable row (its values are set through the project's attributes)."""
    conn.execute("INSERT INTO variables(guid, name, type, description) VALUES (?, ?, ?, ?)",
                 [guid, name, type_, description])


def set_document_guid(conn: sqlite3.Connection, doc_id: int, guid: str) -> None:
    """Give a document the GUID it had in the file."""
    conn.execute("UPDATE documents SET guid = ? WHERE id = ?", [guid, doc_id])


def set_document_imported_at(conn: sqlite3.Connection, doc_id: int, stamp: str) -> None:
    """Give a document the creation time it had in the file."""
    conn.execute("UPDATE documents SET imported_at = ? WHERE id = ?", [stamp, doc_id])


def add_case(conn: sqlite3.Connection, guid: str, name: str, description: str) -> int:
    """A case row; returns its id."""
    return conn.execute("INSERT INTO cases(guid, name, description) VALUES (?, ?, ?)",
                        [guid, name, description]).lastrowid


def coding_guids(conn: sqlite3.Connection) -> list[str]:
    """Every coding's GUID."""
    return [r[0] for r in conn.execute("SELECT guid FROM codings")]


def coding_at(conn: sqlite3.Connection, doc_id: int, code_id: int, start: int, end: int, coder_id: int) -> int:
    """The id of the coding of ``code_id`` by ``coder_id`` (0: none) on exactly
    ``[start, end)`` of the document."""
    return conn.execute(
        'SELECT id FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND "end" = ? '
        "AND ifnull(coder_id, 0) = ?", [doc_id, code_id, start, end, coder_id]).fetchone()[0]


def set_coding_guid(conn: sqlite3.Connection, coding_id: int, guid: str) -> None:
    """Give a coding the GUID it had in the file."""
    conn.execute("UPDATE codings SET guid = ? WHERE id = ?", [guid, coding_id])


def set_coding_created(conn: sqlite3.Connection, coding_id: int, stamp: str) -> None:
    """Give a coding the creation time it had in the file."""
    conn.execute("UPDATE codings SET created_at = ? WHERE id = ?", [stamp, coding_id])


def add_memo(conn: sqlite3.Connection, guid: str, target_type: str, target_id: int | None, title: str, text: str,
             coder_id: int | None, created_at: str, updated_at: str) -> None:
    """A memo row."""
    conn.execute(
        "INSERT INTO memos(guid, target_type, target_id, title, text, coder_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [guid, target_type, target_id, title, text, coder_id, created_at, updated_at])


def forget_history(conn: sqlite3.Connection) -> None:
    """Empty the undo history: an imported project's history starts after
    the import."""
    conn.execute("DELETE FROM history")


def checkpoint(conn: sqlite3.Connection) -> None:
    """Move the write-ahead log into the database file, so that the file can
    be renamed on its own."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
