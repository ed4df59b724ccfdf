"""SQL of the pseudonymisation service (:mod:`fieldnotes.pseudonymise.service`).

Detection runs and candidates, entities and their mentions, the allowlist,
the register, stable tags and their numbering, the key, and the rows a safe
copy is made from. Every function takes the open connection first and returns
plain rows or values; none opens a transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from fieldnotes.store.queries import marks

# -- documents as detection sees them ------------------------------------------------


def documents_to_detect(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """``(id, sha256, text)`` of every document, in id order."""
    return conn.execute("SELECT id, sha256, text FROM documents ORDER BY id").fetchall()


def document_texts(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """``(id, text)`` of every document, in id order."""
    return conn.execute("SELECT id, text FROM documents ORDER BY id").fetchall()


def documents_by_name(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """``(id, name, text)`` of every document, by name."""
    return conn.execute("SELECT id, name, text FROM documents ORDER BY name").fetchall()


def document_ids_by_name(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY name").fetchall()]


def document_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


# -- detection runs and candidates ---------------------------------------------------


def detection_done(conn: sqlite3.Connection) -> dict[int, str]:
    """Document id -> ``"sha256|pipeline"`` of its last detection run."""
    return dict(conn.execute("SELECT document_id, sha256 || '|' || pipeline FROM detection_runs").fetchall())


def documents_with_runs(conn: sqlite3.Connection) -> list[tuple[int, str, str, str | None]]:
    """``(id, name, sha256, sha256 detection last saw or None)``, by name."""
    return conn.execute(
        "SELECT d.id, d.name, d.sha256, r.sha256 FROM documents d LEFT JOIN detection_runs r "
        "ON r.document_id = d.id ORDER BY d.name").fetchall()


def pipeline_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Pipeline label -> documents it covered, most first."""
    return dict(conn.execute(
        "SELECT pipeline, count(*) FROM detection_runs GROUP BY pipeline ORDER BY count(*) DESC").fetchall())


def reviewer_terms(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(term, category)`` of every term a reviewer masked from the residual queue."""
    return conn.execute(
        "SELECT DISTINCT substr(detector, 10), category FROM candidates WHERE detector LIKE 'reviewer:%'").fetchall()


def replace_candidates(conn: sqlite3.Connection, document_id: int, rows: Iterable[tuple]) -> None:
    """The document's candidates become ``rows`` ``(start, end, text, category, detector, score)``."""
    conn.execute("DELETE FROM candidates WHERE document_id = ?", [document_id])
    conn.executemany(
        'INSERT INTO candidates(document_id, start, "end", text, category, detector, score) '
        "VALUES (?, ?, ?, ?, ?, ?, ?)", [(document_id, *row) for row in rows])


def record_detection_run(conn: sqlite3.Connection, document_id: int, sha256: str, pipeline: str, at: str) -> None:
    conn.execute(
        "INSERT INTO detection_runs(document_id, sha256, pipeline, detected_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(document_id) DO UPDATE SET sha256 = excluded.sha256, "
        "pipeline = excluded.pipeline, detected_at = excluded.detected_at",
        [document_id, sha256, pipeline, at])


def forget_detection_runs(conn: sqlite3.Connection) -> None:
    """Every document counts as never checked (the next detection redoes all)."""
    conn.execute("DELETE FROM detection_runs")


def all_candidates(conn: sqlite3.Connection) -> list[tuple]:
    """``(document_id, start, end, text, category, detector, score)`` by document and start."""
    return conn.execute(
        'SELECT document_id, start, "end", text, category, detector, score FROM candidates '
        "ORDER BY document_id, start").fetchall()


def insert_reviewer_candidate(conn: sqlite3.Connection, document_id: int, start: int, end: int, text: str,
                              category: str, detector: str) -> int:
    return conn.execute(
        'INSERT INTO candidates(document_id, start, "end", text, category, detector, score) '
        "VALUES (?, ?, ?, ?, ?, ?, 1.0)", [document_id, start, end, text, category, detector]).lastrowid


# -- entities ---------------------------------------------------------------------


def entity_status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT status, count(*) FROM entities GROUP BY status").fetchall())


def entity_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM entities").fetchone()[0]


def entities_for_clustering(conn: sqlite3.Connection) -> list[tuple[int, str, str, str]]:
    """``(id, category, surfaces JSON, status)`` of every entity."""
    return conn.execute("SELECT id, category, surfaces, status FROM entities").fetchall()


def entity_summaries(conn: sqlite3.Connection) -> list[tuple]:
    """``(id, category, label, status, replacement_source, surfaces JSON, role,
    mentions, documents)``, by category, most mentioned first, then label."""
    return conn.execute(
        "SELECT e.id, e.category, e.label, e.status, e.replacement_source, e.surfaces, e.role, "
        "count(m.id), count(DISTINCT m.document_id) FROM entities e LEFT JOIN mentions m ON m.entity_id = e.id "
        "GROUP BY e.id ORDER BY e.category, count(m.id) DESC, e.label").fetchall()


def entity_exists(conn: sqlite3.Connection, entity_id: int) -> bool:
    return conn.execute("SELECT id FROM entities WHERE id = ?", [entity_id]).fetchone() is not None


def entity_labels(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """``(id, label, surfaces JSON)`` of every entity."""
    return conn.execute("SELECT id, label, surfaces FROM entities").fetchall()


def entity_forms(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """``(category, status, surfaces JSON)`` of every entity."""
    return conn.execute("SELECT category, status, surfaces FROM entities").fetchall()


def entities_of_category(conn: sqlite3.Connection, category: str) -> list[tuple[int, str]]:
    """``(id, surfaces JSON)`` of the category's entities not rejected, in id order."""
    return conn.execute("SELECT id, surfaces FROM entities WHERE category = ? AND status != 'rejected' ORDER BY id",
                        [category]).fetchall()


def suggested_entity_ids(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM entities WHERE status = 'suggested'")]


def entity_surfaces(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
    """Entity id -> surfaces JSON, for two entities."""
    return dict(conn.execute("SELECT id, surfaces FROM entities WHERE id IN (?, ?)", list(ids)).fetchall())


def entity_category_label(conn: sqlite3.Connection, entity_id: int) -> tuple[str, str]:
    return conn.execute("SELECT category, label FROM entities WHERE id = ?", [entity_id]).fetchone()


def surfaces_with_status(conn: sqlite3.Connection, statuses: Sequence[str]) -> list[tuple[str, str]]:
    """``(label, surfaces JSON)`` of the entities with one of ``statuses``."""
    return conn.execute(f"SELECT label, surfaces FROM entities WHERE status IN ({marks(statuses)})",
                        list(statuses)).fetchall()


def set_surfaces(conn: sqlite3.Connection, entity_id: int, surfaces: Sequence[str]) -> None:
    conn.execute("UPDATE entities SET surfaces = ? WHERE id = ?", [json.dumps(surfaces, ensure_ascii=False), entity_id])


def insert_entity(conn: sqlite3.Connection, *, guid: str, category: str, label: str, status: str, created_at: str,
                  surfaces: Sequence[str], replacement: str | None = None,
                  replacement_source: str | None = None) -> int:
    """A new entity; returns its id."""
    return conn.execute(
        "INSERT INTO entities(guid, category, label, replacement, replacement_source, status, "
        "created_at, surfaces) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [guid, category, label, replacement, replacement_source, status, created_at,
         json.dumps(surfaces, ensure_ascii=False)]).lastrowid


def delete_entities(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    for i in range(0, len(ids), 900):  # below SQLite's limit on bound parameters
        chunk = ids[i:i + 900]
        conn.execute(f"DELETE FROM entities WHERE id IN ({marks(chunk)})", chunk)


def delete_unsupported_suggestions(conn: sqlite3.Connection) -> None:
    """Suggested entities without a mention go."""
    conn.execute("DELETE FROM entities WHERE id NOT IN (SELECT DISTINCT entity_id FROM mentions) "
                 "AND status = 'suggested'")


def entities_without_mentions(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT id FROM entities WHERE id NOT IN (SELECT DISTINCT entity_id FROM mentions)")]


# -- mentions -----------------------------------------------------------------------


def mention_owners(conn: sqlite3.Connection) -> dict[tuple[int, int, int], int]:
    """``(document_id, start, end)`` -> the entity that mention belongs to."""
    return {(d, s, e): ent for ent, d, s, e in conn.execute('SELECT entity_id, document_id, start, "end" FROM mentions')}


def replace_mentions(conn: sqlite3.Connection, rows: Sequence[tuple]) -> None:
    """Every mention becomes one of ``rows`` ``(entity_id, document_id, start, end, text, detector, score)``."""
    conn.execute("DELETE FROM mentions")
    conn.executemany(
        'INSERT INTO mentions(entity_id, document_id, start, "end", text, detector, score) VALUES (?, ?, ?, ?, ?, ?, ?)',
        rows)


def mentions_with_documents(conn: sqlite3.Connection, entity_id: int) -> list[tuple]:
    """``(id, entity_id, document_id, document name, start, end, text, detector)``
    of the entity's mentions, by document name and start."""
    return conn.execute(
        'SELECT m.id, m.entity_id, d.id, d.name, m.start, m."end", m.text, m.detector FROM mentions m '
        "JOIN documents d ON d.id = m.document_id WHERE m.entity_id = ? ORDER BY d.name, m.start",
        [entity_id]).fetchall()


def mention_ids(conn: sqlite3.Connection, entity_id: int, *, surface: str | None = None,
                document_id: int | None = None) -> list[int]:
    """The entity's mentions, optionally only those with ``surface`` (any
    case) and/or in one document."""
    clauses, params = ["entity_id = ?"], [entity_id]
    if surface:
        clauses.append("text = ? COLLATE NOCASE")
        params.append(surface)
    if document_id is not None:
        clauses.append("document_id = ?")
        params.append(document_id)
    return [r[0] for r in conn.execute(f"SELECT id FROM mentions WHERE {' AND '.join(clauses)}", params)]


def mention_count(conn: sqlite3.Connection, entity_id: int) -> int:
    return conn.execute("SELECT count(*) FROM mentions WHERE entity_id = ?", [entity_id]).fetchone()[0]


def mention_texts_of(conn: sqlite3.Connection, ids: Sequence[int]) -> set[str]:
    """The distinct texts of these mentions."""
    return {r[0] for r in conn.execute(
        f"SELECT DISTINCT text FROM mentions WHERE id IN ({marks(ids)})", list(ids))}


def mention_texts(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """``(id, text)`` of every mention."""
    return conn.execute("SELECT id, text FROM mentions").fetchall()


def mention_spans(conn: sqlite3.Connection) -> list[tuple[int, int, int]]:
    """``(document_id, start, end)`` of every mention."""
    return conn.execute('SELECT document_id, start, "end" FROM mentions').fetchall()


def covering_mentions(conn: sqlite3.Connection) -> list[tuple[int, int, int, str]]:
    """``(document_id, start, end, category)`` of every mention of an entity not rejected."""
    return conn.execute(
        'SELECT m.document_id, m.start, m."end", e.category FROM mentions m JOIN entities e ON e.id = m.entity_id '
        "WHERE e.status != 'rejected'").fetchall()


def replaced_mentions(conn: sqlite3.Connection, document_id: int) -> list[tuple[int, int, int, str]]:
    """``(entity_id, start, end, text)`` of the document's mentions of entities not rejected, by start."""
    return conn.execute(
        'SELECT m.entity_id, m.start, m."end", m.text FROM mentions m JOIN entities e ON e.id = m.entity_id '
        "WHERE m.document_id = ? AND e.status != 'rejected' ORDER BY m.start", [document_id]).fetchall()


def insert_reviewer_mention(conn: sqlite3.Connection, entity_id: int, document_id: int, start: int, end: int,
                            text: str) -> int:
    return conn.execute(
        'INSERT INTO mentions(entity_id, document_id, start, "end", text, detector, score) '
        "VALUES (?, ?, ?, ?, ?, 'reviewer', 1.0)", [entity_id, document_id, start, end, text]).lastrowid


def key_rows(conn: sqlite3.Connection) -> list[tuple]:
    """``(document name, start, end, text, category, entity id, status,
    detector)`` of every mention, by document name and start: the key."""
    return conn.execute(
        'SELECT d.name, m.start, m."end", m.text, e.category, e.id, e.status, m.detector FROM mentions m '
        "JOIN entities e ON e.id = m.entity_id JOIN documents d ON d.id = m.document_id "
        "ORDER BY d.name, m.start").fetchall()


# -- allowlist and register --------------------------------------------------------


def allowlist(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT term FROM allowlist ORDER BY term COLLATE NOCASE")]


def add_allowed(conn: sqlite3.Connection, term: str, at: str) -> int | None:
    """Add ``term`` to the allowlist; its new row id, or None when it was there."""
    cursor = conn.execute("INSERT OR IGNORE INTO allowlist(term, added_at) VALUES (?, ?)", [term, at])
    return cursor.lastrowid if cursor.rowcount else None


def register_rows(conn: sqlite3.Connection) -> list[tuple[str, str, str, str | None]]:
    """``(name, variants JSON, category, pseudonym)`` of the register, in order."""
    return conn.execute("SELECT name, variants, category, pseudonym FROM register_entries ORDER BY id").fetchall()


def replace_register(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str | None]]) -> None:
    """The register becomes ``rows`` ``(name, variants JSON, category, pseudonym)``."""
    conn.execute("DELETE FROM register_entries")
    conn.executemany("INSERT INTO register_entries(name, variants, category, pseudonym) VALUES (?, ?, ?, ?)", rows)


# -- replacements: stable tags and their numbering -------------------------------------


def replacement_rows(conn: sqlite3.Connection) -> list[tuple]:
    """``(id, category, label, replacement, replacement_source, role, tag,
    surrogate, role_tag)`` of every entity, in id order."""
    return conn.execute(
        "SELECT id, category, label, replacement, replacement_source, role, tag, surrogate, role_tag "
        "FROM entities ORDER BY id").fetchall()


def last_numbers(conn: sqlite3.Connection) -> dict[str, int]:
    """Tag kind (folded) -> the last number handed out."""
    return {name.casefold(): n for name, n in conn.execute("SELECT name, last FROM pseudonym_numbers")}


#: The entity columns that hold a pseudonym once given.
PSEUDONYM_COLUMNS = ("tag", "surrogate", "role_tag")


def store_pseudonyms(conn: sqlite3.Connection, column: str, values: Iterable[tuple[str, int]]) -> None:
    """``entities.<column>`` (one of :data:`PSEUDONYM_COLUMNS`) from ``(value, entity id)`` pairs."""
    if column not in PSEUDONYM_COLUMNS:
        raise ValueError(f"not a pseudonym column: {column}")
    conn.executemany(f"UPDATE entities SET {column} = ? WHERE id = ?", values)


def raise_last_numbers(conn: sqlite3.Connection, numbers: Iterable[tuple[str, int]]) -> None:
    """Remember ``(kind, last number)`` pairs; a number never goes down."""
    conn.executemany("INSERT INTO pseudonym_numbers(name, last) VALUES (?, ?) ON CONFLICT(name) "
                     "DO UPDATE SET last = max(last, excluded.last)", numbers)


# -- safe copies -------------------------------------------------------------------


def table_rows(conn: sqlite3.Connection, table: str, columns: Sequence[str]) -> list[tuple]:
    """Those columns of every row of ``table`` (a classified table), in id
    order when it has one: the same names every time."""
    quoted = ", ".join(f'"{col}"' for col in columns)
    order_by = " ORDER BY id" if "id" in columns else ""
    return conn.execute(f"SELECT {quoted} FROM {table}{order_by}").fetchall()


def insert_row(conn: sqlite3.Connection, table: str, columns: Sequence[str], values: Sequence[Any], *,
               replace: bool = False) -> None:
    """One row; a clash fails unless ``replace``."""
    quoted = ", ".join(f'"{col}"' for col in columns)
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    conn.execute(f'{verb} INTO {table}({quoted}) VALUES ({", ".join("?" * len(columns))})', list(values))


def clear_allowlist(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM allowlist")


def record_safe_copy_created(conn: sqlite3.Connection) -> None:
    """The copy's own audit trail starts with its creation."""
    conn.execute("INSERT INTO audit(at, actor, action, detail) VALUES (datetime('now'), 'fieldnotes', "
                 "'safe_copy.create', '{}')")


def compact(conn: sqlite3.Connection) -> None:
    """Full-text index optimised, the WAL folded in and the file vacuumed:
    nothing deleted or replaced survives in free pages (outside a transaction)."""
    conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('optimize')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")


# -- the pseudonymised view ---------------------------------------------------------


def document_names(conn: sqlite3.Connection) -> dict[int, str]:
    """Document id -> name, in id order."""
    return dict(conn.execute("SELECT id, name FROM documents ORDER BY id").fetchall())


def document_ids(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]


def rejected_surfaces(conn: sqlite3.Connection) -> list[str]:
    """The surfaces JSON of every rejected entity."""
    return [r[0] for r in conn.execute("SELECT surfaces FROM entities WHERE status = 'rejected'")]


def replaced_entities(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """``(id, category, surfaces JSON)`` of every entity not rejected, in id order."""
    return conn.execute("SELECT id, category, surfaces FROM entities WHERE status != 'rejected' ORDER BY id").fetchall()


def code_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM codes")]


#: The project's own text outside the documents, as labels (names,
#: definitions, attribute values) or as prose (memos, example quotes, case
#: descriptions), in the order a view scrubs them.
_FREE_TEXT = (("SELECT name FROM documents", "labels"),
              ("SELECT name, description, inclusion, exclusion FROM codes", "labels"),
              ("SELECT example FROM codes", "prose"),
              ("SELECT title, text FROM memos", "prose"),
              ("SELECT name FROM cases", "labels"), ("SELECT description FROM cases", "prose"),
              ("SELECT description FROM variables", "labels"), ("SELECT value FROM attributes", "labels"))


def free_text(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """``(labels, prose)``: every non-blank text value of :data:`_FREE_TEXT`."""
    found: dict[str, list[str]] = {"labels": [], "prose": []}
    for sql, kind in _FREE_TEXT:
        for row in conn.execute(sql):
            found[kind].extend(v for v in row if isinstance(v, str) and v.strip())
    return found["labels"], found["prose"]


def view_inputs(conn: sqlite3.Connection) -> tuple:
    """A fingerprint of what a pseudonymised view depends on (documents,
    entities and decisions, mentions, the allowlist, memos, codes, cases):
    equal fingerprints, equal views."""
    return conn.execute(
        "SELECT (SELECT count(*) || ':' || ifnull(max(id), 0) FROM documents), "
        "(SELECT count(*) || ':' || ifnull(max(id), 0) || ':' || "
        " ifnull(sum(CASE status WHEN 'rejected' THEN id ELSE 0 END), 0) || ':' || "
        " ifnull(sum(length(ifnull(replacement, ''))), 0) FROM entities), "
        "(SELECT count(*) FROM mentions), (SELECT count(*) FROM allowlist), "
        "(SELECT count(*) FROM memos), (SELECT count(*) FROM codes), (SELECT count(*) FROM cases)").fetchone()
