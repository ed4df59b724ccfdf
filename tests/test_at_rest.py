"""Data at rest: identifiable files private to their owner, encrypted
projects, and a key that leaves only on purpose (issue 15)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import PASSPHRASE, REPO, SAMPLE
from fieldnotes.cli import load_commands
from fieldnotes.errors import ProjectFileError
from fieldnotes.project import Project
from fieldnotes.store.cipher import Passphrase, decrypt_file, encrypt_file, forget, looks_encrypted

cli = load_commands()
NAMES = [b"Jodie", b"Mensah", b"Anita", b"Kayden"]


@pytest.fixture(autouse=True)
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run(*args, ok=True, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def demo_like(tmp_path):
    path = tmp_path / "study.fnp"
    run("init", path)
    run("import", path, SAMPLE, "--manifest", SAMPLE / "manifest.csv")
    run("codebook", "import", path, REPO / "codebooks" / "social-care-workforce.yaml")
    run("autocode", path, "--code", "Caseload", "--keyword", "caseload")
    return path


def test_project_and_its_wal_are_private_under_umask_022(tmp_path):
    path = tmp_path / "study.fnp"
    with Project.create(path) as proj:
        proj.intake.import_paths([SAMPLE / "p1_int_sw01.txt"])
        assert mode(path) == 0o600
        for sibling in (f"{path}-wal", f"{path}-shm"):
            assert mode(sibling) == 0o600, sibling


def test_upgrade_backup_is_private(tmp_path):
    path = tmp_path / "old.fnp"
    Project.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("DELETE FROM sqlite_sequence") if False else None
    conn.close()
    os.chmod(path, 0o644)
    # Re-run the last migration from version 3: drop what it made, as an older file would lack it.
    from fieldnotes.store.db import open_project_file

    conn = sqlite3.connect(path)
    for table in ("candidates", "detection_runs", "allowlist", "register_entries"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE entities DROP COLUMN surfaces")
    conn.execute("ALTER TABLE entities DROP COLUMN role")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0004_pseudonymisation'")
    conn.execute("DELETE FROM settings WHERE key IN ('pseudo_strategy', 'pseudo_date_mode', 'pseudo_seed')")
    conn.commit()
    conn.close()
    open_project_file(path).close()
    assert mode(tmp_path / "old.fnp.bak-v3") == 0o600


def test_key_log_and_original_exports_are_private_pseudonymised_ones_are_not(demo_like, tmp_path):
    run("pseudo", "detect", demo_like)
    run("pseudo", "log", demo_like, "--format", "csv", "-o", tmp_path / "key.csv")
    assert mode(tmp_path / "key.csv") == 0o600
    run("export", "matrix", demo_like, "--cols", "attr:phase", "--original", "-o", tmp_path / "orig.xlsx")
    run("export", "quotes", demo_like, "--original", "-o", tmp_path / "orig.docx")
    run("export", "text", demo_like, "--original", "-o", tmp_path / "orig")
    run("qdpx", "export", demo_like, "--original", "-o", tmp_path / "orig.qdpx")
    for name in ("orig.xlsx", "orig.docx", "orig.qdpx"):
        assert mode(tmp_path / name) == 0o600, name
    assert mode(tmp_path / "orig") == 0o700
    assert {mode(f) for f in (tmp_path / "orig").iterdir()} == {0o600}
    # Pseudonymised exports are meant to be shared: ordinary permissions.
    run("export", "matrix", demo_like, "--cols", "attr:phase", "-o", tmp_path / "shared.xlsx")
    run("export", "safe-copy", demo_like, "-o", tmp_path / "safe.fnp")
    assert mode(tmp_path / "shared.xlsx") == 0o644
    assert mode(tmp_path / "safe.fnp") == 0o644


def test_demo_project_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from fieldnotes.demo import build_demo, demo_path

    build_demo(demo_path())
    assert mode(demo_path()) == 0o600
    assert mode(demo_path().parent) == 0o700


def test_a_readable_project_warns_and_secure_fixes_it_and_its_siblings(demo_like, tmp_path):
    backup = tmp_path / "study.fnp.bak-v3"
    backup.write_bytes(b"old")
    for path in (demo_like, backup):
        os.chmod(path, 0o644)
    result = run("info", demo_like)
    assert "can be read by other users" in result.output and "fieldnotes secure" in result.output
    assert "readable by other users" in result.output   # the access row of info
    fixed = run("secure", demo_like).output
    assert "study.fnp" in fixed and "study.fnp.bak-v3" in fixed
    assert mode(demo_like) == 0o600 and mode(backup) == 0o600
    assert "can be read by other users" not in run("info", demo_like).output


def test_encrypted_project_wal_and_backup_hold_no_readable_name(tmp_path):
    path = tmp_path / "secret.fnp"
    passphrase = Passphrase(PASSPHRASE)
    with Project.create(path, passphrase=passphrase) as proj:
        proj.intake.import_paths([SAMPLE], manifest=SAMPLE / "manifest.csv")
        proj.codebook.add_code("Caseload")
        proj.coding.autocode("Caseload", keywords=["caseload"])
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
        raw = path.read_bytes() + wal.read_bytes()
        assert not [n for n in NAMES if n in raw]
        assert not [n for n in NAMES if n.decode().encode("utf-16-le") in raw]
        assert proj.search("Jodie")   # and yet it is all there
    backup = tmp_path / "secret.fnp.bak-v4"
    from fieldnotes.store.cipher import connect

    source = connect(path, passphrase)
    target = connect(backup, passphrase, check=False)
    source.backup(target)
    target.close()
    source.close()
    assert looks_encrypted(backup) and not [n for n in NAMES if n in backup.read_bytes()]


def test_wrong_passphrase_is_one_clear_line(tmp_path):
    path = tmp_path / "secret.fnp"
    Project.create(path, passphrase=Passphrase(PASSPHRASE)).close()
    forget(path)
    with pytest.raises(ProjectFileError, match="Wrong passphrase for secret.fnp"):
        Project.open(path, passphrase=Passphrase("not it"))
    result = run("info", path, ok=False, env={"FIELDNOTES_PASSPHRASE": "not it"})
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Wrong passphrase for secret.fnp" in lines[0]
    forget(path)
    no_pass = run("info", path, ok=False, env={"FIELDNOTES_PASSPHRASE": ""})
    assert "no passphrase was given" in no_pass.output


def test_encrypt_then_decrypt_is_identical_row_for_row(demo_like, tmp_path):
    def dump(path, passphrase=None):
        with Project.open(path, passphrase=passphrase) as proj:
            tables = [r[0] for r in proj.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'documents_fts%' ORDER BY name")]
            return {t: sorted(map(repr, proj.conn.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}

    before = dump(demo_like)
    passphrase = Passphrase(PASSPHRASE)
    encrypt_file(demo_like, passphrase)
    assert looks_encrypted(demo_like) and mode(demo_like) == 0o600
    forget(demo_like)
    assert dump(demo_like, passphrase) == before
    with Project.open(demo_like, passphrase=passphrase) as proj:
        assert proj.search("caseload")     # the FTS5 index came along
        assert proj.conn.execute("PRAGMA user_version").fetchone()[0] > 0
    decrypt_file(demo_like, passphrase)
    assert not looks_encrypted(demo_like)
    assert dump(demo_like) == before
    assert sqlite3.connect(demo_like).execute("SELECT count(*) FROM documents").fetchone()[0] == 16


def test_cli_encrypt_decrypt_and_passphrase_never_in_debug_output(demo_like, tmp_path):
    secret = "Pa55-unique-phrase-82731"
    env = {"FIELDNOTES_PASSPHRASE": secret}
    run("encrypt", demo_like, env=env)
    assert looks_encrypted(demo_like)
    forget(demo_like)
    # A crash inside a command, with --debug, in a separate process: the traceback must not carry it.
    proc = subprocess.run([sys.executable, "-m", "fieldnotes", "--debug", "code", "apply", str(demo_like),
                           "--doc", "no-such-document", "--start", "1", "--end", "5", "--code", "Caseload"],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    assert secret not in proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, "-m", "fieldnotes", "--debug", "info", str(demo_like)],
                          capture_output=True, text=True, env={**os.environ, "FIELDNOTES_PASSPHRASE": "wrong one"},
                          timeout=120)
    assert proc.returncode != 0 and "wrong one" not in proc.stdout + proc.stderr
    run("decrypt", demo_like, env=env)
    assert not looks_encrypted(demo_like)


def test_key_log_encrypted_to_a_recipient(demo_like, tmp_path):
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    run("pseudo", "detect", demo_like)
    out = tmp_path / "key.csv.age"
    result = run("pseudo", "log", demo_like, "-o", out, "--encrypt-to", str(identity.to_public()))
    assert "encrypted for 1 recipient" in result.output
    data = out.read_bytes()
    assert not [n for n in NAMES if n in data]
    plain = pyrage.decrypt(data, [identity]).decode("utf-8")
    assert plain.startswith("# SENSITIVE") and "Jodie" in plain
    bad = run("pseudo", "log", demo_like, "-o", tmp_path / "k.age", "--encrypt-to", "bob", ok=False)
    assert bad.exit_code == 1 and "not an age recipient" in bad.output


def test_safe_copy_of_an_encrypted_project_is_plain_unless_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDNOTES_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "secret.fnp"
    run("init", "--encrypt", path)
    run("import", path, SAMPLE / "p1_int_sw01.txt")
    run("export", "safe-copy", path, "-o", tmp_path / "safe.fnp")
    assert not looks_encrypted(tmp_path / "safe.fnp")
    run("export", "safe-copy", path, "--encrypt", "-o", tmp_path / "safe-enc.fnp")
    assert looks_encrypted(tmp_path / "safe-enc.fnp")
