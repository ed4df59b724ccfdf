"""Coding benchmark: batch codings through the project API, and autocoding.

In one run, on a project of N transcripts x W words (default 1,000 x 5,000,
so 5 million words) with 60 codes:

1. applies C codings (default 100,000) through ``Project.apply_codings`` as
   one undoable action, and prints codings per second (target >= 20,000/s);
   also the latency of single ``apply_coding`` calls (what the TUI does);
2. autocodes one keyword over every document (``Project.autocode``, dry run,
   scope "match", then applied with scope "sentence") next to a bare
   ``re.finditer`` of the same pattern over the same texts
   (target: the dry run within 2x of the bare loop).

    python benchmarks/bench_coding.py [-n 1000] [-w 5000] [-c 100000]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import make_corpus  # noqa: E402

from fieldnotes.passages import keyword_pattern  # noqa: E402
from fieldnotes.project import Project  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="documents")
    parser.add_argument("-w", type=int, default=5000, help="words per document")
    parser.add_argument("-c", type=int, default=100_000, help="codings to apply in batch")
    parser.add_argument("--keyword", default="caseload")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-coding-"))
    try:
        make_corpus(root / "corpus", args.n, args.w)
        project = Project.create(root / "bench.fnp", coder="bench")
        project.intake.import_paths([root / "corpus"])
        for g in range(6):
            for k in range(10):
                project.codebook.add_code(f"Group {g}/Code {g}.{k}")
        code_ids = [c.id for c in project.codebook.codes() if c.parent_id is not None]
        docs = [(d.id, len(project.document_text(d.id))) for d in project.documents()]
        rng = random.Random(3)
        items = []
        for _ in range(args.c):
            doc_id, length = rng.choice(docs)
            start = rng.randrange(0, length - 400)
            items.append((doc_id, rng.choice(code_ids), start, start + rng.randint(20, 400)))

        t = time.perf_counter()
        new = project.coding.apply_codings(items)
        batch = time.perf_counter() - t
        print(f"project: {args.n:,} documents x {args.w:,} words, {len(code_ids)} codes")
        print(f"{'batch apply_codings':<44}{new:>9,} codings in {batch:6.2f} s = {new / batch:>9,.0f} codings/s (target >= 20,000/s)")

        singles = []
        name = project.documents()[0].name
        for i in range(200):
            t = time.perf_counter()
            project.coding.apply_coding(name, "Code 0.0", 10 * i, 10 * i + 7)
            singles.append((time.perf_counter() - t) * 1000)
        print(f"{'single apply_coding (x200, median / p95)':<44}{statistics.median(singles):9.2f} ms / "
              f"{sorted(singles)[int(len(singles) * 0.95)]:.2f} ms")

        texts = [r[0] for r in project.conn.execute("SELECT text FROM documents")]
        words = sum(len(t.split()) for t in texts)
        pattern = keyword_pattern([args.keyword])
        t = time.perf_counter()
        bare_hits = sum(1 for text in texts for _ in re.finditer(pattern, text))
        bare = time.perf_counter() - t

        t = time.perf_counter()
        hits, _ = project.coding.autocode("Code 1.0", keywords=[args.keyword], scope="match", dry_run=True)
        dry = time.perf_counter() - t
        t = time.perf_counter()
        _, applied = project.coding.autocode("Code 1.1", keywords=[args.keyword], scope="sentence")
        full = time.perf_counter() - t
        if len(hits) != bare_hits:
            raise SystemExit(f"autocode found {len(hits)} hits, the bare loop {bare_hits}")
        print(f"autocode '{args.keyword}' over {words:,} words: {bare_hits:,} hits")
        print(f"{'  bare re.finditer over the texts':<44}{bare:9.2f} s")
        print(f"{'  fieldnotes autocode --dry-run (match)':<44}{dry:9.2f} s   ratio {dry / bare:.2f} x (target <= 2 x)")
        print(f"{'  fieldnotes autocode applied (sentence)':<44}{full:9.2f} s   ({applied:,} passages coded)")
        project.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
