"""SQL of the analyses (:mod:`fieldnotes.analysis`): codings, cases and
documents read in bulk, one query per table, for the matrix engine to count
with numpy. ``doc_ids`` None means every document; ``coder_id`` None every
coder."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from fieldnotes.store.queries import marks


def _scope(doc_ids: Sequence[int] | None, coder_id: int | None) -> tuple[str, list[Any]]:
    """A WHERE clause (possibly ``1``) restricting codings to the documents and coder."""
    clauses, params = [], []
    if doc_ids is not None:
        # One JSON parameter however many documents: no limit on bound variables.
        clauses.append("document_id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(doc_ids)))
    if coder_id is not None:
        clauses.append("coder_id = ?")
        params.append(coder_id)
    return " AND ".join(clauses) or "1", params


def documents_by_name(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return conn.execute("SELECT id, name FROM documents ORDER BY name").fetchall()


def case_links(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """``(document id, case id)`` of every link, by document."""
    return conn.execute("SELECT document_id, case_id FROM document_cases ORDER BY document_id").fetchall()


def coding_counts(conn: sqlite3.Connection, doc_ids, coder_id, *, distinct: bool) -> list[tuple]:
    """``(document id, code id, codings[, packed distinct spans])`` per document and code;
    a span packs as ``start * 2**32 + end`` so that one group_concat carries them."""
    clause, params = _scope(doc_ids, coder_id)
    columns = 'document_id, code_id, count(*)' + (', group_concat(start * 4294967296 + "end")' if distinct else "")
    return conn.execute(f"SELECT {columns} FROM codings WHERE {clause} GROUP BY document_id, code_id",
                        params).fetchall()


def coding_spans(conn: sqlite3.Connection, doc_ids, coder_id) -> list[tuple[int, int, int, int]]:
    """``(document id, code id, start, end)`` of the codings in scope, by document."""
    clause, params = _scope(doc_ids, coder_id)
    return conn.execute(f'SELECT document_id, code_id, start, "end" FROM codings WHERE {clause} '
                        "ORDER BY document_id", params).fetchall()


def codings_in_order(conn: sqlite3.Connection, doc_ids, coder_id) -> list[tuple[int, int, int, int, int]]:
    """``(coding id, document id, code id, start, end)`` in document and text order."""
    clause, params = _scope(doc_ids, coder_id)
    return conn.execute(f'SELECT id, document_id, code_id, start, "end" FROM codings WHERE {clause} '
                        'ORDER BY document_id, start, "end", id', params).fetchall()


def codings_of_document(conn: sqlite3.Connection, doc_id: int, coder_id: int | None) -> list[tuple[int, int, int]]:
    """``(code id, start, end)`` of one document's codings."""
    if coder_id is None:
        return conn.execute('SELECT code_id, start, "end" FROM codings WHERE document_id = ?', [doc_id]).fetchall()
    return conn.execute('SELECT code_id, start, "end" FROM codings WHERE document_id = ? AND coder_id = ?',
                        [doc_id, coder_id]).fetchall()


def all_turn_spans(conn: sqlite3.Connection) -> list[tuple[int, int, int]]:
    """``(document id, start, end)`` of every non-empty turn, in text order."""
    return conn.execute('SELECT document_id, start, "end" FROM turns WHERE "end" > start '
                        "ORDER BY document_id, start").fetchall()


def memos_on_codings_and_cases(conn: sqlite3.Connection) -> list[tuple[str, int, str, str]]:
    return conn.execute("SELECT target_type, target_id, title, text FROM memos "
                        "WHERE target_type IN ('coding', 'case') ORDER BY id").fetchall()


# -- agreement ---------------------------------------------------------------------------

def codes_used_by(conn: sqlite3.Connection, coder_ids: Sequence[int]) -> set[int]:
    return {r[0] for r in conn.execute(
        f"SELECT DISTINCT code_id FROM codings WHERE coder_id IN ({marks(coder_ids)})", list(coder_ids))}


def documents_coded_by(conn: sqlite3.Connection, coder_ids: Sequence[int]) -> list[tuple[int, int]]:
    """``(document id, coder id)`` pairs where the coder coded something."""
    return conn.execute(f"SELECT DISTINCT document_id, coder_id FROM codings "
                        f"WHERE coder_id IN ({marks(coder_ids)})", list(coder_ids)).fetchall()


def codings_by_coders(conn: sqlite3.Connection, doc_id: int, coder_ids: Sequence[int]) -> list[tuple]:
    """``(code id, coder id, start, end)`` of one document's codings by these coders, by code."""
    return conn.execute('SELECT code_id, coder_id, start, "end" FROM codings WHERE document_id = ? '
                        f"AND coder_id IN ({marks(coder_ids)}) ORDER BY code_id", [doc_id, *coder_ids]).fetchall()


def text_length(conn: sqlite3.Connection, doc_id: int) -> int:
    return conn.execute("SELECT length(text) FROM documents WHERE id = ?", [doc_id]).fetchone()[0]
