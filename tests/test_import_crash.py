"""kill -9 during a large import (issue 11, finding 7): every document is
complete or absent, and no worker or resource-tracker process outlives the
killed import.

The import runs as a user runs it (`fieldnotes import`), in its own process
group, with enough files to use the worker-process pool. The test waits on
conditions (a worker process exists, N documents are stored), each bounded and
failing with a message, never on sleeps alone.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fieldnotes.importers.batch import PROCESS_THRESHOLD

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or (os.cpu_count() or 1) < 2,
    reason="needs Linux /proc and two cores (the worker pool is used only with two or more)",
)

WORDS = "caseload supervision family visit manager team reflection referral plan meeting the a and of to".split()
N_FILES = PROCESS_THRESHOLD + 22


def make_corpus(folder: Path) -> dict[str, str]:
    rng = random.Random(11)
    folder.mkdir()
    texts = {}
    for i in range(N_FILES):
        turns = [f"{'Interviewer' if t % 2 == 0 else 'SW'}: " + " ".join(rng.choices(WORDS, k=60)) + "."
                 for t in range(300)]
        texts[f"t{i:03d}.txt"] = "\n\n".join(turns) + "\n"
        (folder / f"t{i:03d}.txt").write_text(texts[f"t{i:03d}.txt"], encoding="utf-8")
    return texts


def group_members(pgid: int) -> list[tuple[int, str]]:
    """Live (non-zombie) processes in the process group ``pgid``, with their command."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        state, process_group = fields[0], int(fields[2])
        if process_group == pgid and state != "Z":
            found.append((int(entry.name), cmdline.strip()))
    return found


def wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def stored_count(project: Path) -> int:
    try:
        with sqlite3.connect(f"file:{project}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("point", ["worker started", "first document", "ten documents"])
def test_kill_9_during_import_leaves_whole_documents_and_no_orphans(tmp_path, point):
    texts = make_corpus(tmp_path / "in")
    project = tmp_path / "study.fnp"
    fieldnotes = [sys.executable, "-m", "fieldnotes"]
    subprocess.run([*fieldnotes, "init", str(project)], check=True, capture_output=True, timeout=120)
    importer = subprocess.Popen([*fieldnotes, "import", str(project), str(tmp_path / "in")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    pgid = importer.pid
    try:
        wait_for(lambda: len(group_members(pgid)) >= 2 or importer.poll() is not None, "a worker process")
        if point == "first document":
            wait_for(lambda: stored_count(project) >= 1 or importer.poll() is not None, "the first document")
        elif point == "ten documents":
            wait_for(lambda: stored_count(project) >= 10 or importer.poll() is not None, "ten documents")
        assert importer.poll() is None, "the import finished before it could be killed; make the corpus larger"
        helpers = [p for p in group_members(pgid) if p[0] != importer.pid]
        assert helpers, "no worker process was running at the kill point"
        os.kill(importer.pid, signal.SIGKILL)
        importer.wait(timeout=30)
        wait_for(lambda: not group_members(pgid), "the import's worker processes to end", timeout=30)
    finally:
        for pid, _ in group_members(pgid):
            os.kill(pid, signal.SIGKILL)  # never leave them behind, even when the test fails
    with sqlite3.connect(project) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT name, text FROM documents").fetchall()
    assert len(rows) < N_FILES
    for name, text in rows:
        assert text == texts[name], f"{name} is stored incomplete"
