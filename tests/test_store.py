import sqlite3

import pytest

from fieldnotes.errors import ProjectFileError
from fieldnotes.project import Project
from fieldnotes.store.db import APPLICATION_ID, open_project_file
from fieldnotes.store import SCHEMA_VERSION
from fieldnotes.store.migrations import migrations

TABLES = {
    "documents", "turns", "cases", "document_cases", "variables", "attributes", "codes", "codings",
    "memos", "coders", "entities", "mentions", "audit", "documents_fts", "settings",
}


def test_new_project_has_whole_schema_wal_and_foreign_keys(project):
    names = set(project.db.table_names())
    assert TABLES <= names
    assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert project.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert project.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert project.db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_foreign_keys_are_enforced(project):
    with pytest.raises(sqlite3.IntegrityError):
        project.db.execute(
            "INSERT INTO turns(document_id, seq, speaker, start, \"end\") VALUES (999, 0, 'x', 0, 1)"
        )


def test_init_refuses_existing_file(tmp_path):
    (tmp_path / "a.fnp").write_text("x")
    with pytest.raises(ProjectFileError, match="already exists"):
        Project.create(tmp_path / "a.fnp")


def test_missing_file_says_how_to_create(tmp_path):
    with pytest.raises(ProjectFileError, match="fieldnotes init"):
        Project.open(tmp_path / "nope.fnp")


def test_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.fnp"
    path.write_text("Interviewer: hello\n")
    with pytest.raises(ProjectFileError, match="not an SQLite file"):
        Project.open(path)


def test_other_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t(x)")
    conn.close()
    with pytest.raises(ProjectFileError, match="not a fieldnotes project"):
        Project.open(path)


def test_newer_schema_is_refused_with_clear_message(tmp_path):
    path = tmp_path / "future.fnp"
    Project.create(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    with pytest.raises(ProjectFileError, match="newer fieldnotes") as info:
        Project.open(path)
    assert "Upgrade fieldnotes" in str(info.value)


def test_upgrade_from_first_version_keeps_data_and_backs_up(tmp_path):
    """A file written by the first schema version opens, upgrades and keeps its documents."""
    from sqlite_utils import Database

    path = tmp_path / "old.fnp"
    db = Database(str(path))
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrations.apply(db, stop_before="0002_settings")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "settings" not in db.table_names()
    db.execute(
        "INSERT INTO documents(guid, name, kind, text, format, sha256, words, imported_at) "
        "VALUES ('g1', 'old.txt', 'interview', 'Interviewer: caseload talk', 'txt', 'abc', 3, '2025-01-01')"
    )
    db.conn.commit()
    db.close()

    with Project.open(path) as proj:
        assert proj.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert proj.setting("attribution_template") == "{role}, {years_qualified} years qualified"
        assert [d.name for d in proj.documents()] == ["old.txt"]
        assert proj.search("caseload")[0].document == "old.txt"
    backup = tmp_path / "old.fnp.bak-v1"
    assert backup.exists()
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_open_without_upgrade_refuses_old_file(tmp_path):
    from sqlite_utils import Database

    path = tmp_path / "old.fnp"
    db = Database(str(path))
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrations.apply(db, stop_before="0002_settings")
    db.close()
    with pytest.raises(ProjectFileError, match="needs an upgrade"):
        open_project_file(path, upgrade=False)


def test_project_file_is_plain_sqlite_readable_by_anyone(sample_project):
    sample_project.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with sqlite3.connect(sample_project.path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM documents ORDER BY name")]
    conn.close()
    assert "p1_int_sw01.txt" in names
