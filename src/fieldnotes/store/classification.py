"""What each column of the schema may carry out of the project.

Every column of every table is classified here, once, next to the schema. The
pseudonymised view (:mod:`fieldnotes.pseudonymise.view`) applies the policy to
a value, and the safe copy and the ``.qdpx`` writer take their columns from
this table, so a column nobody classified cannot leave the project by
accident: ``tests/test_classification.py`` reads the schema of a new project
with ``PRAGMA table_info`` and fails on any column (of a table that is not
dropped whole) missing here, and the safe copy refuses to run on one.

Policies:

``keep``
    Copied as it is: ids, GUIDs, numbers, timestamps, fixed vocabularies
    (kinds, formats, types), colours, and the research team's own names (coders).
``scrub``
    Free text a researcher or a participant wrote: every known surface form of
    an entity not rejected is replaced, and detection runs over the value too
    (a postcode in a memo that no transcript holds, a code called after a
    participant).
``name``
    A document's name: scrubbed like ``scrub``, with ``_`` and ``-`` read as
    spaces (``Jodie_Mensah_interview.txt``).
``view``
    A document's text: the pseudonymised view of it (mentions replaced).
``speaker``
    A speaker label: through the same replacements as the text it labels.
``span``
    A character offset into a document's text: mapped onto the view.
``derived``
    Computed afresh from the pseudonymised value (a hash, a word count).
``drop``
    Never leaves the project (a source path on the researcher's disk).
"""

from __future__ import annotations

KEEP, SCRUB, NAME, VIEW, SPEAKER, SPAN, DERIVED, DROP = (
    "keep", "scrub", "name", "view", "speaker", "span", "derived", "drop")
POLICIES = (KEEP, SCRUB, NAME, VIEW, SPEAKER, SPAN, DERIVED, DROP)

#: table -> column -> policy, for every table a safe copy carries.
COLUMNS: dict[str, dict[str, str]] = {
    "documents": {"id": KEEP, "guid": KEEP, "name": NAME, "kind": KEEP, "text": VIEW, "format": KEEP,
                  "source_path": DROP, "sha256": DERIVED, "encoding": DERIVED, "words": DERIVED,
                  "imported_at": KEEP},
    "turns": {"document_id": KEEP, "seq": KEEP, "speaker": SPEAKER, "start": SPAN, "end": SPAN,
              "time_start": KEEP, "time_end": KEEP},
    "cases": {"id": KEEP, "guid": KEEP, "name": SCRUB, "description": SCRUB},
    "document_cases": {"document_id": KEEP, "case_id": KEEP},
    # Which case each speaker of a document is: the label as the turns show it.
    "speaker_cases": {"document_id": KEEP, "speaker": SPEAKER, "case_id": KEEP},
    "variables": {"id": KEEP, "guid": KEEP, "name": KEEP, "type": KEEP, "description": SCRUB},
    "attributes": {"variable_id": KEEP, "owner_type": KEEP, "owner_id": KEEP, "value": SCRUB},
    "codes": {"id": KEEP, "guid": KEEP, "parent_id": KEEP, "name": SCRUB, "description": SCRUB,
              "inclusion": SCRUB, "exclusion": SCRUB, "example": SCRUB, "colour": KEEP, "sort_order": KEEP,
              "created_at": KEEP},
    "coders": {"id": KEEP, "guid": KEEP, "name": KEEP, "created_at": KEEP},
    "codings": {"id": KEEP, "guid": KEEP, "document_id": KEEP, "code_id": KEEP, "start": SPAN, "end": SPAN,
                "coder_id": KEEP, "created_at": KEEP},
    "memos": {"id": KEEP, "guid": KEEP, "target_type": KEEP, "target_id": KEEP, "title": SCRUB, "text": SCRUB,
              "coder_id": KEEP, "created_at": KEEP, "updated_at": KEEP},
    # Settings are the project's configuration (templates, strategy names);
    # the per-project secret seed is left out by key (SECRET_SETTINGS).
    "settings": {"key": KEEP, "value": KEEP},
}

#: Settings that never leave the project: the seed of surrogates and date
#: shifts, and a coder's copy's record of its origin (the codebook's names as
#: they were, and the project file's name).
SECRET_SETTINGS = frozenset({"pseudo_seed", "team_origin"})

#: Tables that never leave the project at all: the key (entities, mentions,
#: candidates and the register hold real names), the audit trail and undo
#: history (they quote what was changed), and detection bookkeeping.
DROPPED_TABLES = frozenset({
    "entities", "mentions", "candidates", "detection_runs", "allowlist", "register_entries", "audit", "history",
    "pseudonym_numbers",
})

#: Tables SQLite or sqlite-utils maintain themselves (the full-text index is
#: rebuilt from the pseudonymised text; the migration record holds no data).
INTERNAL_TABLES = frozenset({"_sqlite_migrations"})
INTERNAL_PREFIXES = ("documents_fts", "sqlite_")


def policy(table: str, column: str) -> str:
    """The policy of ``table.column``; a KeyError for one nobody classified
    (callers treat that as a refusal, never as "keep")."""
    return COLUMNS[table][column]


def is_internal(table: str) -> bool:
    """A table the database maintains itself (full-text index shadows, ...)."""
    return table in INTERNAL_TABLES or table.startswith(INTERNAL_PREFIXES)


def unclassified(conn) -> list[str]:
    """``table.column`` for every column of ``conn``'s schema that is not
    classified (tables dropped whole and internal tables excepted)."""
    missing = []
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        if is_internal(table) or table in DROPPED_TABLES:
            continue
        known = COLUMNS.get(table, {})
        for row in conn.execute(f'PRAGMA table_info("{table}")'):
            if row[1] not in known:
                missing.append(f"{table}.{row[1]}")
    return missing
