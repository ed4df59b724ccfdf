"""Reliability: concurrent writers, locked and read-only projects, failing
disks, and text from files that tries to drive the terminal.

Every test here runs the real CLI (in subprocesses where several processes or
a resource limit are the point) on a real project file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SAMPLE, write
from fieldnotes.cli import load_commands
from fieldnotes.project import Project

CLI = [sys.executable, "-m", "fieldnotes"]


def cli(*args, ok=True, env=None):
    result = CliRunner(env=env).invoke(load_commands(), [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def study(_sample_build, tmp_path) -> Path:
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as project:
        for code in ("Caseload", "Leadership", "Reflection"):
            project.add_code(code)
    return path


# -- 1. concurrent writers ---------------------------------------------------------------


def writer_commands(project: Path, extra: Path) -> list[list[str]]:
    """25 writers of every kind a researcher might script next to each other."""
    with Project.open(project) as p:
        docs = [d.name for d in p.documents() if d.name.endswith(".txt")][:10]
    commands = []
    for i, doc in enumerate(docs):  # each a new coder: a write after a read in the old code
        commands.append(["code", "apply", project, "--doc", doc, "--code", "Caseload",
                         "--start", "0", "--end", "40", "--coder", f"coder{i}"])
    for i in range(10):
        commands.append(["memo", "add", project, f"concurrent memo {i}", "--coder", f"memoist{i}"])
    commands.append(["autocode", project, "--code", "Leadership", "--keyword", "manager"])
    commands.append(["autocode", project, "--code", "Reflection", "--keyword", "think"])
    commands.append(["import", project, extra])
    commands.append(["code", "add", project, "Extra/First"])
    commands.append(["code", "add", project, "Extra/Second"])
    return [[str(a) for a in c] for c in commands]


def run_all(commands: list[list[str]], timeout: float = 240) -> list[subprocess.CompletedProcess]:
    """Start every command at once, then wait for them all (bounded)."""
    procs = [subprocess.Popen(CLI + c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    done = []
    for command, proc in zip(commands, procs):
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            pytest.fail(f"{command} did not finish within {timeout} s")
        done.append(subprocess.CompletedProcess(command, proc.returncode, out, err))
    return done


def test_25_concurrent_cli_writers_all_succeed_and_every_write_is_kept(study, tmp_path):
    extra = write(tmp_path / "in" / "p4_int_sw09.txt", "SW: My caseload is twenty cases and my manager listens.\n")
    commands = writer_commands(study, extra)
    assert len(commands) == 25
    results = run_all(commands)
    failed = [(r.args, r.stderr.strip()) for r in results if r.returncode != 0]
    assert not failed, failed
    with Project.open(study) as p:
        coders = {c.coder for c in p.codings(code="Caseload")}
        assert {f"coder{i}" for i in range(10)} <= coders
        memos = [m.text for m in p.memos()]
        assert sorted(t for t in memos if t.startswith("concurrent memo")) == sorted(f"concurrent memo {i}" for i in range(10))
        assert p.codings(code="Leadership") and p.codings(code="Reflection")
        assert "p4_int_sw09.txt" in [d.name for d in p.documents()]
        paths = [c.path for c in p.codes()]
        assert "Extra/First" in paths and "Extra/Second" in paths
        assert p.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_held_lock_gives_one_line_after_the_timeout_and_nothing_changes(study):
    holder = sqlite3.connect(study, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        env = {"FIELDNOTES_LOCK_TIMEOUT": "0.3"}
        result = cli("memo", "add", study, "while locked", ok=False, env=env)
        assert result.exit_code == 1
        assert result.output.strip() == (
            f"Error: another fieldnotes process is writing to {study}; try again (nothing was changed).")
        # Reads still work while another process writes.
        assert "p1_int_sw01.txt" in cli("documents", study, env=env).output
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    cli("memo", "add", study, "after the lock")
    with Project.open(study) as p:
        assert [m.text for m in p.memos()] == ["after the lock"]


# -- 2. the workspace next to other processes ------------------------------------------------


async def wait_for(pilot, condition, what: str, limit: float = 20.0) -> None:
    """Let the app run until ``condition()`` holds (bounded; fails saying what)."""
    import time

    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {limit} s waiting for {what}")
        await pilot.pause(0.05)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


def test_workspace_on_a_locked_project_notifies_and_codes_after_release(study, monkeypatch):
    import asyncio

    from fieldnotes.tui.app import FieldnotesApp
    from fieldnotes.tui.widgets.document_view import DocumentView

    monkeypatch.setenv("FIELDNOTES_LOCK_TIMEOUT", "0.3")

    async def main():
        app = FieldnotesApp(study)
        async with app.run_test(size=(140, 40)) as pilot:
            view = app.query_one(DocumentView)
            await wait_for(pilot, lambda: view.document, "the first document")
            holder = sqlite3.connect(study, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            try:
                await pilot.press("s", "c")
                await pilot.pause()
                await pilot.press(*"caseload", "enter")
                await wait_for(pilot, lambda: any("another fieldnotes process is writing" in m for m in notes(app)),
                               "the locked notification")
                assert app.is_running and app.return_code in (None, 0)
                assert not view.spans
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            # The same action again, now that the other writer has finished.
            await pilot.press("c")
            await pilot.pause()
            await pilot.press(*"caseload", "enter")
            await wait_for(pilot, lambda: [s.label for s in view.spans] == ["Caseload"], "the coding after release")
        with Project.open(study) as p:
            assert [c.code for c in p.codings(code="Caseload")] == ["Caseload"]

    asyncio.run(main())


def test_workspace_refreshes_when_another_process_codes(study):
    import asyncio

    from fieldnotes.tui.app import FieldnotesApp
    from fieldnotes.tui.widgets.codebook_pane import CodebookPane
    from fieldnotes.tui.widgets.document_view import DocumentView

    def caseload_label(app) -> str:
        pane = app.query_one(CodebookPane)
        return str(pane._tree_nodes["Caseload"].label)

    async def main():
        app = FieldnotesApp(study)
        async with app.run_test(size=(140, 40)) as pilot:
            view = app.query_one(DocumentView)
            await wait_for(pilot, lambda: view.document, "the first document")
            assert caseload_label(app).endswith("Caseload 0")
            shown = view.document
            # Another process (the CLI) codes six passages, one in the open document.
            result = subprocess.run(CLI + ["autocode", str(study), "--code", "Caseload", "--keyword", "caseload"],
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            with Project.open(study) as p:
                total = len(p.codings(code="Caseload"))
                here = len(p.codings(document=shown, code="Caseload"))
            assert total > 0
            await wait_for(pilot, lambda: caseload_label(app).endswith(f"Caseload {total}"), "the codebook count")
            await wait_for(pilot, lambda: len(view.spans) == here, "the margin of the open document")

    asyncio.run(main())
