"""Numbered schema migrations, applied with sqlite-utils' ``Migrations``.

Each migration runs in a transaction together with the record of it having been
applied, and ends by setting ``PRAGMA user_version`` to its number, so that an
older fieldnotes can tell that a file is newer than it understands.

Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from fieldnotes.store import SCHEMA_VERSION

MIGRATION_SET = "fieldnotes"
migrations = Migrations(MIGRATION_SET)

_KINDS = "'interview','focus_group','observation','field_note','case_note','other'"

_V1 = [
    f"""
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ({_KINDS})),
        text TEXT NOT NULL,
        format TEXT NOT NULL,
        source_path TEXT,
        sha256 TEXT NOT NULL,
        encoding TEXT,
        words INTEGER NOT NULL,
        imported_at TEXT NOT NULL
    )""",
    "CREATE INDEX documents_sha256 ON documents(sha256)",
    # Clustered by document: a document's turns are read together, in order,
    # and a turn is named by (document, seq); no rowid or extra index needed.
    """
    CREATE TABLE turns (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        speaker TEXT,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        time_start REAL,
        time_end REAL,
        PRIMARY KEY (document_id, seq),
        CHECK (start >= 0 AND "end" >= start)
    ) WITHOUT ROWID""",
    """
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT ''
    )""",
    """
    CREATE TABLE document_cases (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        PRIMARY KEY (document_id, case_id)
    )""",
    "CREATE INDEX document_cases_case ON document_cases(case_id)",
    # A variable (phase, role, years_qualified...) has one type across the
    # project; REFI-QDA exchanges variables with a GUID and a type.
    """
    CREATE TABLE variables (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL CHECK (type IN ('integer','number','date','text')),
        description TEXT NOT NULL DEFAULT ''
    )""",
    # The value of a variable on a document or a case.
    """
    CREATE TABLE attributes (
        variable_id INTEGER NOT NULL REFERENCES variables(id) ON DELETE CASCADE,
        owner_type TEXT NOT NULL CHECK (owner_type IN ('document','case')),
        owner_id INTEGER NOT NULL,
        value,
        PRIMARY KEY (variable_id, owner_type, owner_id)
    )""",
    "CREATE INDEX attributes_owner ON attributes(owner_type, owner_id)",
    """
    CREATE TABLE codes (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        parent_id INTEGER REFERENCES codes(id),
        name TEXT NOT NULL CHECK (name <> '' AND instr(name, '/') = 0),
        description TEXT NOT NULL DEFAULT '',
        inclusion TEXT NOT NULL DEFAULT '',
        exclusion TEXT NOT NULL DEFAULT '',
        example TEXT NOT NULL DEFAULT '',
        colour TEXT,
        sort_order INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    )""",
    # Names are unique among siblings; top-level codes have a NULL parent,
    # which a plain UNIQUE would not compare.
    "CREATE UNIQUE INDEX codes_sibling_name ON codes(ifnull(parent_id, 0), name)",
    """
    CREATE TABLE coders (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    )""",
    """
    CREATE TABLE codings (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        code_id INTEGER NOT NULL REFERENCES codes(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        coder_id INTEGER REFERENCES coders(id),
        created_at TEXT NOT NULL,
        CHECK (start >= 0 AND "end" > start)
    )""",
    'CREATE UNIQUE INDEX codings_unique ON codings(document_id, code_id, start, "end", ifnull(coder_id, 0))',
    "CREATE INDEX codings_code ON codings(code_id)",
    """
    CREATE TABLE memos (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        target_type TEXT NOT NULL CHECK (target_type IN ('project','document','code','coding','case')),
        target_id INTEGER,
        title TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        coder_id INTEGER REFERENCES coders(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX memos_target ON memos(target_type, target_id)",
    """
    CREATE TABLE entities (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        category TEXT NOT NULL,
        label TEXT NOT NULL,
        replacement TEXT,
        replacement_source TEXT,
        status TEXT NOT NULL DEFAULT 'suggested' CHECK (status IN ('suggested','accepted','rejected')),
        created_at TEXT NOT NULL
    )""",
    """
    CREATE TABLE mentions (
        id INTEGER PRIMARY KEY,
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        text TEXT NOT NULL,
        detector TEXT NOT NULL,
        score REAL,
        CHECK (start >= 0 AND "end" > start)
    )""",
    "CREATE INDEX mentions_document ON mentions(document_id, start)",
    "CREATE INDEX mentions_entity ON mentions(entity_id)",
    """
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    )""",
    # Full-text index over document text; external content keeps one copy of
    # the text, and triggers keep the index in step inside every transaction.
    """
    CREATE VIRTUAL TABLE documents_fts USING fts5(
        text, content='documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """
    CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """
    CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END""",
    """
    CREATE TRIGGER documents_au AFTER UPDATE OF text ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text);
    END""",
]


def _run(db: Database, statements: list[str], version: int) -> None:
    for statement in statements:
        db.execute(statement)
    db.execute(f"PRAGMA user_version = {version}")


@migrations(name="0001_initial_schema")
def m0001_initial_schema(db: Database) -> None:
    _run(db, _V1, 1)


# Project settings (attribution template, default coder, ...) as key/value
# rows, so a researcher can read them with any SQLite tool.
_V2 = [
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    "INSERT INTO settings(key, value) VALUES ('attribution_template', '{role}, {years_qualified} years qualified')",
]


@migrations(name="0002_settings")
def m0002_settings(db: Database) -> None:
    _run(db, _V2, 2)


# Undo and redo: one row per user action, with the row-level changes needed
# to reverse it (see fieldnotes.history). The audit table stays append-only.
_V3 = [
    """
    CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        summary TEXT NOT NULL,
        changes TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('done','undone'))
    )""",
    "INSERT INTO settings(key, value) VALUES ('undo_depth', '200')",
]


@migrations(name="0003_history")
def m0003_history(db: Database) -> None:
    _run(db, _V3, 3)


# Pseudonymisation: raw detections per document (so re-clustering never
# re-runs NER), which documents were processed with which pipeline (so an
# unchanged document is skipped), the allowlist, the participant register,
# and an entity's surface forms and role.
_V4 = [
    """
    CREATE TABLE candidates (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        text TEXT NOT NULL,
        category TEXT NOT NULL,
        detector TEXT NOT NULL,
        score REAL
    )""",
    "CREATE INDEX candidates_document ON candidates(document_id)",
    """
    CREATE TABLE detection_runs (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        detected_at TEXT NOT NULL
    )""",
    """
    CREATE TABLE allowlist (
        id INTEGER PRIMARY KEY,
        term TEXT NOT NULL UNIQUE COLLATE NOCASE,
        added_at TEXT NOT NULL
    )""",
    """
    CREATE TABLE register_entries (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        variants TEXT NOT NULL DEFAULT '[]',
        category TEXT NOT NULL DEFAULT 'PERSON',
        pseudonym TEXT
    )""",
    "ALTER TABLE entities ADD COLUMN surfaces TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE entities ADD COLUMN role TEXT",
    "INSERT INTO settings(key, value) VALUES ('pseudo_strategy', 'tags')",
    "INSERT INTO settings(key, value) VALUES ('pseudo_date_mode', 'shift')",
]


@migrations(name="0004_pseudonymisation")
def m0004_pseudonymisation(db: Database) -> None:
    import secrets

    _run(db, _V4, 4)
    # A per-project secret: it seeds surrogate names and the date shift, so
    # they are stable within the project and unguessable outside it.
    db.execute("INSERT INTO settings(key, value) VALUES ('pseudo_seed', ?)", [secrets.token_hex(16)])
    for term in ("Ofsted", "NHS", "Signs of Safety", "Early Help", "MASH", "CAMHS", "DfE"):
        db.execute("INSERT INTO allowlist(term, added_at) VALUES (?, datetime('now'))", [term])


# Who said what: in a document of several cases (a joint interview, a focus
# group) each speaker label can belong to one case, so each turn is
# attributed to its speaker's case rather than to every case of the document.
# The template for the researcher's own notes sits beside the participants' one.
_V5 = [
    """
    CREATE TABLE speaker_cases (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        speaker TEXT NOT NULL COLLATE NOCASE,
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        PRIMARY KEY (document_id, speaker)
    )""",
    "CREATE INDEX speaker_cases_case ON speaker_cases(case_id)",
    "INSERT OR IGNORE INTO settings(key, value) VALUES "
    "('observation_attribution_template', '{note}, {setting}, phase {phase}')",
]


@migrations(name="0005_speaker_cases")
def m0005_speaker_cases(db: Database) -> None:
    _run(db, _V5, 5)


# Stable pseudonyms: a tag, once given, is the entity's for good (a merge or a
# split elsewhere never renumbers it), and numbers are never handed out twice.
# ``tag`` (and ``surrogate`` or ``role_tag`` under those strategies) is filled
# when an entity is first given one; ``pseudonym_numbers`` remembers the last
# number used per tag name.
_V6 = [
    "ALTER TABLE entities ADD COLUMN tag TEXT",
    "ALTER TABLE entities ADD COLUMN surrogate TEXT",
    "ALTER TABLE entities ADD COLUMN role_tag TEXT",
    """
    CREATE TABLE pseudonym_numbers (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        last INTEGER NOT NULL
    )""",
]


@migrations(name="0006_stable_pseudonyms")
def m0006_stable_pseudonyms(db: Database) -> None:
    _run(db, _V6, 6)


if len(migrations._migrations) != SCHEMA_VERSION:  # pragma: no cover - caught by any test run
    raise RuntimeError("fieldnotes.store.SCHEMA_VERSION must equal the number of migrations")
