"""Import benchmark: ``fieldnotes import`` of a folder against a bare sqlite3 insert.

Generates N transcripts of W words (default 1,000 x 5,000) with speaker turns,
then, in the same run:

- times ``fieldnotes init`` + ``fieldnotes import PROJECT FOLDER`` as a user runs
  them (whole processes, Python start-up included) and reads the import
  process's peak memory;
- times a bare sqlite3 insert of the same texts (read from the same files) into
  a table with the same FTS5 index (external content, unicode61 tokenizer, kept
  by a trigger), in one transaction, in this process.

Prints both, their ratio, and the peak memory. Target: within 1.5x, under 500 MB.

    python benchmarks/bench_import.py [-n 1000] [-w 5000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VOCABULARY = (
    "caseload supervision family visit manager team reflection time direct work child parent "
    "school police health referral plan meeting restructure agency worker training practice "
    "relationship strengths office desk car travel report assessment court contact carer foster "
    "the a and of to in that it was is we they I you but so just like really think know mean "
    "um er yeah well because then there about when what with have had been would could more"
).split()
SPEAKERS = ("Interviewer", "SW", "Mum", "Speaker 1")


def make_corpus(folder: Path, n: int, words: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        parts = []
        count = 0
        turn = 0
        while count < words:
            length = min(rng.randint(8, 120), words - count)
            speaker = SPEAKERS[0] if turn % 2 == 0 else SPEAKERS[1 + (i % 3)]
            parts.append(f"{speaker}: " + " ".join(rng.choices(VOCABULARY, k=length)) + ".")
            count += length
            turn += 1
        text = "\n\n".join(parts) + "\n"
        (folder / f"transcript_{i:05d}.txt").write_text(text, encoding="utf-8")
        total += len(text.encode())
    return total


def run_timed(args: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (bytes) of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024


def bare_insert(folder: Path, db_path: Path) -> float:
    start = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, name TEXT, text TEXT)")
    conn.execute(
        "CREATE VIRTUAL TABLE documents_fts USING fts5(text, content='documents', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute(
        "CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN "
        "INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    with conn:
        for path in sorted(folder.iterdir()):
            conn.execute("INSERT INTO documents(name, text) VALUES (?, ?)", (path.name, path.read_text("utf-8")))
    conn.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="number of transcripts")
    parser.add_argument("-w", type=int, default=5000, help="words per transcript")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="fieldnotes-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        corpus = root / "corpus"
        if corpus.exists():
            shutil.rmtree(corpus)
        size = make_corpus(corpus, args.n, args.w)
        fieldnotes = [sys.executable, "-m", "fieldnotes"]
        # Warm the page cache the same way for both contenders.
        for path in corpus.iterdir():
            path.read_bytes()

        bare_db = root / "bare.sqlite"
        for leftover in root.glob("bare.sqlite*"):
            leftover.unlink()
        bare = bare_insert(corpus, bare_db)

        project = root / "bench.fnp"
        for leftover in root.glob("bench.fnp*"):
            leftover.unlink()
        init_time, _ = run_timed([*fieldnotes, "init", str(project)])
        import_time, peak = run_timed([*fieldnotes, "import", str(project), str(corpus)])

        check = sqlite3.connect(project)
        imported = check.execute("SELECT count(*) FROM documents").fetchone()[0]
        check.close()
        if imported != args.n:
            raise SystemExit(f"only {imported} of {args.n} documents were imported")

        print(f"corpus: {args.n:,} transcripts x {args.w:,} words ({size / 1e6:.1f} MB)")
        print(f"{'bare sqlite3 insert + FTS5 (in process)':<46}{bare:8.2f} s")
        print(f"{'fieldnotes import (whole process)':<46}{import_time:8.2f} s   peak memory {peak / 1e6:,.0f} MB")
        print(f"{'fieldnotes init (whole process)':<46}{init_time:8.2f} s")
        print(f"{'ratio import / bare':<46}{import_time / bare:8.2f} x   (target <= 1.5 x)")
        print(f"{'documents per second':<46}{args.n / import_time:8.0f}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
