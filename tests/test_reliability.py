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
            project.codebook.add_code(code)
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
        coders = {c.coder for c in p.coding.codings(code="Caseload")}
        assert {f"coder{i}" for i in range(10)} <= coders
        memos = [m.text for m in p.memos.list()]
        assert sorted(t for t in memos if t.startswith("concurrent memo")) == sorted(f"concurrent memo {i}" for i in range(10))
        assert p.coding.codings(code="Leadership") and p.coding.codings(code="Reflection")
        assert "p4_int_sw09.txt" in [d.name for d in p.documents()]
        paths = [c.path for c in p.codebook.codes()]
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
        assert [m.text for m in p.memos.list()] == ["after the lock"]


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
            assert [c.code for c in p.coding.codings(code="Caseload")] == ["Caseload"]

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
                total = len(p.coding.codings(code="Caseload"))
                here = len(p.coding.codings(document=shown, code="Caseload"))
            assert total > 0
            await wait_for(pilot, lambda: caseload_label(app).endswith(f"Caseload {total}"), "the codebook count")
            await wait_for(pilot, lambda: len(view.spans) == here, "the margin of the open document")

    asyncio.run(main())


# -- 3. read-only projects, full disks, file-size limits, oversized integers ----------------------


def run_cli(args, *, restricted=False, preexec_fn=None, cwd=None) -> subprocess.CompletedProcess:
    """The CLI in a subprocess. ``restricted``: obey file permissions even when
    the tests run as root (root's capabilities to override them are dropped)."""
    prefix = []
    if restricted and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a read-only folder cannot be simulated")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner,-linux_immutable"]
    return subprocess.run(prefix + CLI + [str(a) for a in args], capture_output=True, text=True,
                          timeout=120, preexec_fn=preexec_fn, cwd=cwd)


@pytest.fixture
def read_only_folder(study, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    project = folder / "study.fnp"
    shutil.copy(study, project)
    project.chmod(0o400)  # read-only, and private (a readable one warns first)
    folder.chmod(0o500)
    try:
        yield project
    finally:
        folder.chmod(0o755)
        project.chmod(0o644)


def test_read_only_project_reads_and_refuses_writes_in_one_line(read_only_folder):
    project = read_only_folder
    listed = run_cli(["documents", project], restricted=True)
    assert listed.returncode == 0, listed.stderr
    assert "p1_int_sw01.txt" in listed.stdout
    shown = run_cli(["show", project, "p1_int_sw01"], restricted=True)
    assert shown.returncode == 0 and "caseload" in shown.stdout.lower(), shown.stderr
    for args in (["memo", "add", project, "a note"], ["code", "add", project, "New code"]):
        refused = run_cli(args, restricted=True)
        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            f"Error: {project} is read-only (the file or its folder cannot be written), so nothing can be "
            "saved; reading works. Copy the project to a folder you can write to, or ask for write access.")
    made = run_cli(["init", project.parent / "new.fnp"], restricted=True)
    assert made.returncode == 1
    assert made.stderr.strip() == (f"Error: Cannot create {project.parent / 'new.fnp'}: the folder {project.parent} "
                                   "is read-only. Choose a folder you can write to (for example your home folder).")
    assert sorted(p.name for p in project.parent.iterdir()) == ["study.fnp"]


def test_read_only_file_in_a_writable_folder_opens_read_only(study):
    study.chmod(0o400)  # read-only, and private (a readable one warns first)
    try:
        refused = run_cli(["memo", "add", study, "a note"], restricted=True)
        assert refused.returncode == 1 and "is read-only" in refused.stderr
        assert run_cli(["search", study, "caseload"], restricted=True).returncode == 0
    finally:
        study.chmod(0o644)


def _limit_file_size(limit: int):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.skipif(sys.platform == "win32", reason="no file-size limit on Windows")
def test_safe_copy_past_a_file_size_limit_says_so_and_leaves_no_partial(study, tmp_path):
    out = tmp_path / "out" / "safe.fnp"
    out.parent.mkdir()
    result = run_cli(["export", "safe-copy", study, "-o", out], preexec_fn=_limit_file_size(256 * 1024))
    assert result.returncode == 1
    # Detection runs first and says so; the error is the one line that ends it.
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: {out} reached the file-size limit this system sets (ulimit -f) (0.2 MB); the change in progress "
        "was undone, so nothing is half-written. Raise the limit or ask your administrator.")
    assert list(out.parent.iterdir()) == []
    # With room, the same command works.
    assert run_cli(["export", "safe-copy", study, "-o", out]).returncode == 0


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1.5 MB tmpfs (needs root and mount; skipped elsewhere)."""
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a small full disk needs root and mount (Linux)")
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", str(mountpoint)],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=30)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler


def test_full_disk_during_code_add_and_import_is_one_line_and_loses_nothing(tiny_disk):
    project = tiny_disk / "study.fnp"
    assert run_cli(["init", project]).returncode == 0
    assert run_cli(["code", "add", project, "Caseload"]).returncode == 0
    filler = _fill(tiny_disk)
    for args in (["code", "add", project, "Leadership"], ["import", project, SAMPLE]):
        result = run_cli(args)
        assert result.returncode == 1, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: The disk is full: "), result.stderr
        assert "Free some space and try again." in lines[0]
    filler.unlink()
    assert run_cli(["code", "add", project, "Leadership"]).returncode == 0
    with Project.open(project) as p:
        assert [c.path for c in p.codebook.codes()] == ["Caseload", "Leadership"]
        assert p.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_team_copy_onto_a_full_disk_leaves_no_partial(study, tiny_disk):
    """The copy starts as a backup of the project; when the disk fills during
    it, no half-written .partial is left where a coder could mistake it for
    a copy, and with room the same command works."""
    out = tiny_disk / "study-anna.fnp"
    filler = _fill(tiny_disk)
    result = run_cli(["team", "copy", study, "--coder", "anna", "-o", out])
    assert result.returncode == 1, result.stdout + result.stderr
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]
    filler.unlink()
    assert run_cli(["team", "copy", study, "--coder", "anna", "-o", out]).returncode == 0


def test_manifest_integer_too_large_for_sqlite_fails_that_file_only(tmp_path):
    project = tmp_path / "study.fnp"
    cli("init", project)
    write(tmp_path / "in" / "a.txt", "SW: first interview\n")
    write(tmp_path / "in" / "b.txt", "SW: second interview\n")
    manifest = write(tmp_path / "m.csv", "file,phase,case_number\na.txt,1,99999999999999999999999\nb.txt,2,5\n")
    result = cli("import", project, tmp_path / "in", "--manifest", manifest, ok=False)
    assert result.exit_code == 1
    assert ("manifest line 2, column 'case_number': 99999999999999999999999 is a whole number too large to store "
            "(the limit is 9,223,372,036,854,775,807)") in result.output
    assert "Unexpected error" not in result.output
    with Project.open(project) as p:
        assert [d.name for d in p.documents()] == ["b.txt"]


def test_size_limit_message_uses_the_same_megabytes_as_max_size(tmp_path):
    project = tmp_path / "study.fnp"
    cli("init", project)
    big = write(tmp_path / "big.txt", "w" * (3 * 512 * 1024))  # 1.5 MB
    result = cli("import", project, big, "--max-size", "1", ok=False)
    assert "is 1.5 MB, over the 1 MB limit (raise it with --max-size)" in result.output
    assert "52 MB" not in cli("import", project, big, "--max-size", "0.5", ok=False).output
    from fieldnotes.importers.batch import _too_big

    assert _too_big(60 * 1024 * 1024, 50 * 1024 * 1024) == "is 60 MB, over the 50 MB limit (raise it with --max-size)"
    assert _too_big(50 * 1024 * 1024 + 10, 50 * 1024 * 1024).startswith("is 52,428,810 bytes, over the 50 MB limit")


# -- 4. text from files cannot drive the terminal ----------------------------------------------


def test_control_characters_from_files_are_escaped_in_documents_and_show(tmp_path):
    project = tmp_path / "study.fnp"
    cli("init", project)
    name = "\x1b[31mred.txt"
    write(tmp_path / "in" / name, "SW: my caseload \x1b]0;owned\x07 is \x1b[8mhidden\x1b[28m and \u202eright.\n")
    cli("import", project, tmp_path / "in")
    for args in (["documents", project], ["show", project, name], ["search", project, "caseload"],
                 ["documents", project, "--json"]):
        output = cli(*args).output
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output, args
    listed = cli("documents", project).output
    assert "\\x1b[31mred.txt" in listed
    shown = cli("show", project, name).output
    assert "\\x1b]0;owned\\x07 is \\x1b[8mhidden\\x1b[28m and \\u202eright." in shown


def test_workspace_shows_control_characters_as_symbols(tmp_path):
    import asyncio

    from fieldnotes.tui.app import FieldnotesApp
    from fieldnotes.tui.widgets.document_view import DocumentView

    project = tmp_path / "study.fnp"
    cli("init", project)
    name = "\x1b[31mred.txt"
    text = "SW: my caseload \x1b]0;owned\x07 is \x1b[8mhidden\x1b[28m here.\n"
    write(tmp_path / "in" / name, text)
    cli("import", project, tmp_path / "in")

    async def main():
        app = FieldnotesApp(project)
        async with app.run_test(size=(140, 30)) as pilot:
            view = app.query_one(DocumentView)
            await wait_for(pilot, lambda: view.document == name, "the document")
            # Same length, so offsets (codings, selections) are unchanged.
            assert len(view.text) == len(text)
            assert view.text.startswith("SW: my caseload ␛]0;owned␇ is ␛[8mhidden")
            screen = app.export_screenshot()
            assert "\x1b" not in screen and "\x07" not in screen
            assert "␛[31mred.txt" in screen.replace("&#160;", " ")

    asyncio.run(main())
    # The search and passage lists show file text the same way.
    from fieldnotes.tui.screens.retrieval import passage_prompt
    from fieldnotes.tui.screens.search import hit_prompt

    with Project.open(project) as p:
        hit = p.search("caseload")[0]
        p.codebook.add_code("Caseload")
        p.coding.apply_coding(name, "Caseload", 0, len(text) - 1)
        passage = p.coding.passages("Caseload")[0]
    for prompt in (hit_prompt(hit), passage_prompt(passage, "Caseload")):
        assert "\x1b" not in prompt.plain and "\x07" not in prompt.plain
        assert "␛[31mred.txt" in prompt.plain and "␛]0;owned" in prompt.plain  # (Textual drops BEL itself)


_READ_ONLY_WORKSPACE = """
import asyncio, sys, time
from fieldnotes.tui.app import FieldnotesApp

async def main():
    app = FieldnotesApp(sys.argv[1])
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s", "c")
        await pilot.pause()
        await pilot.press(*"caseload", "enter")
        deadline = time.monotonic() + 20
        while not any("nothing can be saved" in n.message for n in app._notifications):
            if time.monotonic() > deadline:
                break
            await pilot.pause(0.05)
        for n in app._notifications:
            print("NOTE", n.message.replace("\\n", " "))
        print("RUNNING", app.is_running)

asyncio.run(main())
"""


def test_workspace_on_a_read_only_project_reads_and_says_why_it_cannot_code(read_only_folder):
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: a read-only folder cannot be simulated")
        prefix = [shutil.which("setpriv"), "--bounding-set", "-dac_override,-dac_read_search,-fowner,-linux_immutable"]
    result = subprocess.run(prefix + [sys.executable, "-c", _READ_ONLY_WORKSPACE, str(read_only_folder)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    notes_seen = [line[5:] for line in result.stdout.splitlines() if line.startswith("NOTE ")]
    assert any(n.startswith("study.fnp is read-only: you can read") for n in notes_seen), notes_seen
    assert f"{read_only_folder} is read-only (the file or its folder cannot be written), so nothing can be saved; " \
        "reading works. Copy the project to a folder you can write to, or ask for write access." in notes_seen
    assert "RUNNING True" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_import_into_a_locked_project_stops_with_one_line(study, tmp_path):
    for n in range(3):
        write(tmp_path / "in" / f"extra{n}.txt", f"SW: extra interview {n}\n")
    holder = sqlite3.connect(study, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("import", study, tmp_path / "in", ok=False, env={"FIELDNOTES_LOCK_TIMEOUT": "0.2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: another fieldnotes process is writing to {study}; try again (nothing was changed).")
    with Project.open(study) as p:
        assert not [d for d in p.documents() if d.name.startswith("extra")]
