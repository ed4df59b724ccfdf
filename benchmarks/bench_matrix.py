"""Matrix benchmark: a code x attribute matrix over a million codings.

Builds (in a child process, so that its memory does not count) a project of
N documents (default 1,000) with a ``phase`` (3 values) and a ``role``
(4 values) attribute, 66 codes (6 groups of 10 sub-codes) and C codings
(default 1,000,000). About 70% of the codings fall on whole sentences, so many
passages carry several codes of one group: the roll-up ("each passage once in
the parent") has real work to do. Then, in the same process and interleaved:

(a) the bare SQL GROUP BY of the same data:
    codings JOIN attributes (phase) GROUP BY code_id, value;
(b) ``code_matrix(project, cols="attr:phase")`` (distinct passages, rolled up).

It prints both (median and best of R runs), the ratio (target <= 1.2x) and the
peak memory of this process (target < 1 GB); for information it also times
codes x documents, a cross of two attributes, the documents measure and the
words measure.

    python benchmarks/bench_matrix.py [-n 1000] [-c 1000000] [-r 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fieldnotes.project import Project  # noqa: E402

WORDS = (
    "the social worker said that caseload was high and time for direct work with families felt short "
    "while managers were supportive in supervision but the team had changed again this year"
).split()
ROLES = ("SW CP", "SW LAC", "Team manager", "Early Help")
NOW = "2026-01-01T00:00:00+00:00"


def build(path: Path, n_docs: int, n_codings: int, seed: int = 7) -> None:
    """A project built directly with executemany (fast), through Project.create."""
    rng = random.Random(seed)
    project = Project.create(path, coder="bench")
    conn = project.conn
    conn.execute("BEGIN")
    docs = []
    for i in range(n_docs):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14))).capitalize() + "."
                     for _ in range(150)]
        text = " ".join(sentences)
        ranges, pos = [], 0
        for sentence in sentences:
            ranges.append((pos, pos + len(sentence)))
            pos += len(sentence) + 1
        docs.append((text, ranges))
    conn.executemany(
        "INSERT INTO documents(id, guid, name, kind, text, format, sha256, words, imported_at) "
        "VALUES (?, ?, ?, 'interview', ?, 'txt', ?, ?, ?)",
        [(i + 1, f"doc-{i}", f"doc{i:05}.txt", text, f"sha-{i}", len(text.split()), NOW)
         for i, (text, _) in enumerate(docs)])
    conn.execute("INSERT INTO variables(id, guid, name, type) VALUES (1, 'var-phase', 'phase', 'integer'), "
                 "(2, 'var-role', 'role', 'text')")
    conn.executemany("INSERT INTO attributes(variable_id, owner_type, owner_id, value) VALUES (?, 'document', ?, ?)",
                     [(1, i + 1, i % 3 + 1) for i in range(n_docs)] + [(2, i + 1, ROLES[i % 4]) for i in range(n_docs)])
    conn.execute("INSERT INTO coders(id, guid, name, created_at) VALUES (1, 'coder-1', 'bench', ?)", [NOW])
    groups, leaves, next_id = [], [], 0
    for g in range(6):
        next_id += 1
        group = next_id
        conn.execute("INSERT INTO codes(id, guid, parent_id, name, sort_order, created_at) VALUES (?, ?, NULL, ?, ?, ?)",
                     [group, f"code-{group}", f"Group {g}", g, NOW])
        groups.append(group)
        for k in range(10):
            next_id += 1
            conn.execute("INSERT INTO codes(id, guid, parent_id, name, sort_order, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                         [next_id, f"code-{next_id}", group, f"Code {g}.{k}", k, NOW])
            leaves.append(next_id)
    per_doc = n_codings // n_docs
    rows, n = [], 0
    for d, (text, ranges) in enumerate(docs):
        seen: set[tuple[int, int, int]] = set()
        while len(seen) < per_doc:
            code = rng.choice(groups) if rng.random() < 0.05 else rng.choice(leaves)
            if rng.random() < 0.7:
                a, b = rng.choice(ranges)
            else:
                a = rng.randrange(0, len(text) - 300)
                b = a + rng.randint(20, 300)
            if (code, a, b) in seen:
                continue
            seen.add((code, a, b))
            n += 1
            rows.append((n, f"coding-{n}", d + 1, code, a, b, NOW))
        if len(rows) > 200_000:
            conn.executemany('INSERT INTO codings(id, guid, document_id, code_id, start, "end", coder_id, created_at) '
                             "VALUES (?, ?, ?, ?, ?, ?, 1, ?)", rows)
            rows = []
    conn.executemany('INSERT INTO codings(id, guid, document_id, code_id, start, "end", coder_id, created_at) '
                     "VALUES (?, ?, ?, ?, ?, ?, 1, ?)", rows)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    project.close()


BARE_SQL = (
    "SELECT c.code_id, a.value, count(*) FROM codings c "
    "JOIN attributes a ON a.owner_type = 'document' AND a.owner_id = c.document_id "
    "AND a.variable_id = (SELECT id FROM variables WHERE name = 'phase') "
    "GROUP BY c.code_id, a.value"
)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="documents")
    parser.add_argument("-c", type=int, default=1_000_000, help="codings")
    parser.add_argument("-r", "--repeat", type=int, default=5, help="timed runs of each")
    parser.add_argument("--keep", type=Path, help="build into (or reuse) DIR/bench.fnp and keep it")
    parser.add_argument("--build-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.build_only, args.n, args.c)
        return

    from fieldnotes.analysis.matrix import code_matrix

    root = args.keep or Path(tempfile.mkdtemp(prefix="fieldnotes-bench-matrix-"))
    root.mkdir(parents=True, exist_ok=True)
    path = root / "bench.fnp"
    try:
        if not path.exists():
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "-n", str(args.n), "-c", str(args.c), "--build-only", str(path)],
                           check=True)
            print(f"built {args.n:,} documents, {args.c:,} codings in {time.perf_counter() - started:.1f} s "
                  f"({path.stat().st_size / 1e6:.0f} MB)")
        project = Project.open(path)
        conn = project.conn
        print(f"project: {conn.execute('SELECT count(*) FROM documents').fetchone()[0]:,} documents, "
              f"{conn.execute('SELECT count(*) FROM codes').fetchone()[0]} codes, "
              f"{conn.execute('SELECT count(*) FROM codings').fetchone()[0]:,} codings")

        def bare():
            return conn.execute(BARE_SQL).fetchall()

        def matrix():
            return code_matrix(project, cols="attr:phase")

        # Warm up both (page cache, numpy import), then interleave.
        bare()
        matrix()
        bare_times, matrix_times = [], []
        for _ in range(args.repeat):
            bare_times.append(timed(bare))
            matrix_times.append(timed(matrix))
        b_med, m_med = statistics.median(bare_times), statistics.median(matrix_times)
        print(f"(a) bare SQL GROUP BY code_id, phase   median {b_med:.3f} s  best {min(bare_times):.3f} s")
        print(f"(b) code_matrix(cols='attr:phase')     median {m_med:.3f} s  best {min(matrix_times):.3f} s")
        ratio = m_med / b_med
        print(f"ratio (b)/(a): {ratio:.2f}x median, {min(matrix_times) / min(bare_times):.2f}x best "
              f"(target <= 1.2x) {'OK' if ratio <= 1.2 else 'OVER'}")
        peak = peak_mb()
        print(f"peak memory: {peak:.0f} MB (target < 1024 MB) {'OK' if peak < 1024 else 'OVER'}")
        table = matrix()
        print(f"  check: {len(table.rows)} rows x {len(table.columns)} columns, {table.total:,} distinct passages")

        print("for information:")
        for label, kwargs in (
            ("codes x documents", dict(cols="documents")),
            ("codes x phase x role (cross)", dict(cols="attr:phase,attr:role")),
            ("codes x cases", dict(cols="cases")),
            ("documents measure by phase, %", dict(cols="attr:phase", measure="documents", percent=True)),
            ("filtered: role = SW CP", dict(cols="attr:phase", where=[("role", "SW CP")])),
            ("words coded by phase", dict(cols="attr:phase", measure="words")),
        ):
            seconds = min(timed(lambda: code_matrix(project, **kwargs)) for _ in range(2))
            print(f"  {label:32s} {seconds:.3f} s")
        print(f"peak memory at the end: {peak_mb():.0f} MB")
        # XLSX export of a 200 x 50 matrix (target under 2 s), as a user
        # writes one: through write_table, to a real file.
        import random as _random

        from fieldnotes.analysis.table import RowHeader, Table
        from fieldnotes.export.tables import write_table

        rng = _random.Random(4)
        big = Table("200 x 50 matrix", [RowHeader(f"Code {i}", f"Code {i}", i % 3) for i in range(200)],
                    [f"Column {j}" for j in range(50)],
                    [[rng.randint(0, 500) for _ in range(50)] for _ in range(200)],
                    row_totals=[0] * 200, column_totals=[0] * 50, total=0, corner="Code", measure="passages")
        seconds = min(timed(lambda: write_table(big, root / "big.xlsx")) for _ in range(3))
        print(f"XLSX export of a 200 x 50 matrix: {seconds:.3f} s (target < 2 s)")
        project.close()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
