"""Team benchmark: intercoder agreement and merging coders' copies.

In one run, on a project of N transcripts x W words (default 1,000 x 5,000)
with 60 codes:

1. two coders' codings, C in all (default 100,000, half each, many of them
   overlapping); agreement per code with every unit (target: < 5 s;
   character units < 15 s), next to the bare cost of reading the same codings
   with one SQL query;
2. two coders' copies with C codings each, merged back into the project with
   ``fieldnotes team merge`` in its own process (target: < 10 s, peak memory
   < 500 MB), next to the bare cost of reading both copies' codings with SQL.

    python benchmarks/bench_team.py [-n 1000] [-w 5000] [-c 100000]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import make_corpus  # noqa: E402

from fieldnotes.analysis.agreement import UNITS, agreement  # noqa: E402
from fieldnotes.project import Project  # noqa: E402
from fieldnotes.team import make_copy  # noqa: E402


def random_codings(rng, docs, code_ids, count):
    items = []
    for _ in range(count):
        doc_id, length = rng.choice(docs)
        start = rng.randrange(0, length - 400)
        items.append((doc_id, rng.choice(code_ids), start, start + rng.randint(20, 400)))
    return items


def bare_read(path: Path) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute('SELECT document_id, code_id, coder_id, start, "end" FROM codings').fetchall()
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="documents")
    parser.add_argument("-w", type=int, default=5000, help="words per document")
    parser.add_argument("-c", type=int, default=100_000, help="codings")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-team-"))
    try:
        make_corpus(root / "corpus", args.n, args.w)
        path = root / "bench.fnp"
        project = Project.create(path, coder="bench")
        project.intake.import_paths([root / "corpus"])
        for g in range(6):
            for k in range(10):
                project.codebook.add_code(f"Group {g}/Code {g}.{k}")
        code_ids = [c.id for c in project.codebook.codes() if c.parent_id is not None]
        docs = [(doc_id, length) for doc_id, length in project.conn.execute("SELECT id, length(text) FROM documents")]
        rng = random.Random(5)
        anna = random_codings(rng, docs, code_ids, args.c // 2)
        # Ben agrees with about half of Anna's codings (shifted a little), and codes elsewhere too.
        ben = [(d, c, s + rng.randint(-10, 10) if s > 10 else s, e) for d, c, s, e in anna[: args.c // 4]]
        ben += random_codings(rng, docs, code_ids, args.c // 2 - len(ben))
        project.coding.apply_codings(anna, coder="anna")
        project.coding.apply_codings(ben, coder="ben")
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"Project: {args.n} documents x {args.w} words, {args.c:,} codings by 2 coders, {len(code_ids)} codes")
        bare = min(bare_read(path) for _ in range(3))
        print(f"  bare SQL read of the codings:            {bare:7.3f} s")
        for unit in UNITS:
            started = time.perf_counter()
            result = agreement(project, coders=["anna", "ben"], unit=unit)
            took = time.perf_counter() - started
            print(f"  agreement, unit {unit:<10}              {took:7.3f} s  ({took / bare:5.1f}x bare; "
                  f"overall kappa {result.overall.kappa:.3f}, alpha {result.overall.alpha:.3f})")

        # Two copies with C codings each, merged back in their own process.
        copies = []
        for name in ("carol", "dev"):
            copy_path = root / f"{name}.fnp"
            make_copy(project, name, copy_path)
            with Project.open(copy_path) as copy:
                copy.coding.apply_codings(random_codings(rng, docs, code_ids, args.c), coder=name)
                copy.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            copies.append(copy_path)
        project.close()
        bare_copies = sum(bare_read(p) for p in copies)
        print(f"Merge of 2 copies x {args.c:,} codings")
        print(f"  bare SQL read of both copies' codings:   {bare_copies:7.3f} s")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "fieldnotes", "team", "merge", str(path), *map(str, copies)],
                       check=True, stdout=subprocess.DEVNULL)
        took = time.perf_counter() - started
        peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        print(f"  fieldnotes team merge (whole process):   {took:7.3f} s  (target < 10 s); "
              f"peak memory {peak:.0f} MB (target < 500 MB)")
        with Project.open(path) as proj:
            merged = proj.conn.execute("SELECT count(*) FROM codings").fetchone()[0]
        print(f"  codings in the project after the merge:  {merged:,}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
