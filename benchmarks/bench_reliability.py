"""Reliability benchmark.

Part 1 (``bench_concurrent_writers``): 25 CLI processes writing to one
project at once (10 ``code apply`` by ten new coders, 10 ``memo add``,
2 ``autocode``, 1 ``import``, 2 ``code add``), next to a process that does
what an open workspace does (polls ``PRAGMA data_version`` every second and
re-reads the codebook when it changes). Prints failures and latency (median,
p95, max: from start to exit of each command) for R rounds, next to a bare
baseline in the same run: the same 25 commands one after another.

Target: 0 failures; every write present after each round.

Part 2 (``bench_reliability_files.py``, run from here too): archive bombs
(.docx, .odt, .xlsx manifest, .qdpx: peak memory and time to refuse, next to
an ordinary file of the same format) and .qdc import at 2k/8k/200k codes
(time per 1,000 codes, next to a bare ElementTree + sqlite3 insert).

    python benchmarks/bench_reliability.py [--rounds 3] [--no-workspace] [--skip-files] [--sizes 2000,8000,200000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from fieldnotes.project import Project

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
CLI = [sys.executable, "-m", "fieldnotes"]

# What the open workspace does while others write: a cheap poll, and a re-read when something changed.
_WORKSPACE = textwrap.dedent("""
    import sys, time
    from fieldnotes.project import Project
    project = Project.open(sys.argv[1])
    seen = project.data_version()
    while True:
        time.sleep(1.0)
        version = project.data_version()
        if version != seen:
            seen = version
            project.codebook.codes()
            project.documents()
""")


def _build(root: Path) -> Path:
    path = root / "base.fnp"
    with Project.create(path, coder="bench") as project:
        project.intake.import_paths([SAMPLE], manifest=SAMPLE / "manifest.csv")
        for code in ("Caseload", "Leadership", "Reflection"):
            project.codebook.add_code(code)
    (root / "in").mkdir()
    (root / "in" / "p4_int_sw09.txt").write_text("SW: My caseload is twenty cases and my manager listens.\n")
    return path


def _commands(project: Path, extra: Path, tag: str) -> list[list[str]]:
    with Project.open(project) as p:
        docs = [d.name for d in p.documents() if d.name.endswith(".txt")][:10]
    commands = [["code", "apply", project, "--doc", doc, "--code", "Caseload", "--start", "0", "--end", "40",
                 "--coder", f"coder{tag}{i}"] for i, doc in enumerate(docs)]
    commands += [["memo", "add", project, f"memo {tag} {i}"] for i in range(10)]
    commands += [["autocode", project, "--code", "Leadership", "--keyword", "manager"],
                 ["autocode", project, "--code", "Reflection", "--keyword", "think"],
                 ["import", project, extra],
                 ["code", "add", project, f"Extra/{tag}-1"],
                 ["code", "add", project, f"Extra/{tag}-2"]]
    return [[str(a) for a in c] for c in commands]


def _run(commands: list[list[str]], *, concurrent: bool) -> tuple[list[float], list[str]]:
    """Latencies (seconds) and the error lines of the commands that failed."""
    latencies, failures = [], []

    def finish(proc, started, command):
        _out, err = proc.communicate(timeout=600)
        latencies.append(time.perf_counter() - started)
        if proc.returncode != 0:
            failures.append(f"{command[0]} {command[1]}: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")

    if concurrent:
        started = []
        for command in commands:
            started.append((subprocess.Popen(CLI + command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
                            time.perf_counter(), command))
        for proc, t0, command in started:
            finish(proc, t0, command)
    else:
        for command in commands:
            t0 = time.perf_counter()
            finish(subprocess.Popen(CLI + command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), t0, command)
    return latencies, failures


def _check(project: Path, tag: str) -> list[str]:
    """Writes of round ``tag`` that are missing."""
    missing = []
    with Project.open(project) as p:
        coders = {c.coder for c in p.coding.codings(code="Caseload")}
        missing += [f"coding by coder{tag}{i}" for i in range(10) if f"coder{tag}{i}" not in coders]
        memos = {m.text for m in p.memos.list()}
        missing += [f"memo {tag} {i}" for i in range(10) if f"memo {tag} {i}" not in memos]
        paths = {c.path for c in p.codebook.codes()}
        missing += [f"code Extra/{tag}-{n}" for n in (1, 2) if f"Extra/{tag}-{n}" not in paths]
        if "p4_int_sw09.txt" not in {d.name for d in p.documents()}:
            missing.append("imported document")
        if p.conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            missing.append("integrity_check")
    return missing


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def bench_concurrent_writers(rounds: int = 3, workspace: bool = True) -> int:
    """25 concurrent CLI writers vs the same commands in sequence; returns the number of failures."""
    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-reliability-"))
    total_failures = 0
    try:
        base = _build(root)
        print(f"25 writers (10 code apply, 10 memo add, 2 autocode, 1 import, 2 code add), {rounds} round(s)"
              + (", next to a polling workspace" if workspace else ""))
        print(f"{'run':<26}{'failures':>9}{'median s':>10}{'p95 s':>8}{'max s':>8}{'wall s':>8}  missing")
        for mode in ("sequential (baseline)", "concurrent"):
            for r in range(rounds if mode == "concurrent" else 1):
                project = root / f"{mode.split()[0]}{r}.fnp"
                shutil.copy(base, project)
                watcher = None
                if workspace:
                    watcher = subprocess.Popen([sys.executable, "-c", _WORKSPACE, str(project)])
                try:
                    tag = f"r{r}"
                    t0 = time.perf_counter()
                    latencies, failures = _run(_commands(project, root / "in" / "p4_int_sw09.txt", tag),
                                               concurrent=mode == "concurrent")
                    wall = time.perf_counter() - t0
                finally:
                    if watcher is not None:
                        watcher.terminate()
                        watcher.wait(timeout=30)
                missing = _check(project, tag)
                total_failures += len(failures)
                label = mode if mode != "concurrent" else f"concurrent, round {r + 1}"
                print(f"{label:<26}{len(failures):>9}{statistics.median(latencies):>10.2f}{_p95(latencies):>8.2f}"
                      f"{max(latencies):>8.2f}{wall:>8.2f}  {', '.join(missing) or '-'}")
                for line in failures:
                    print(f"    {line}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return total_failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="concurrent rounds")
    parser.add_argument("--no-workspace", action="store_true", help="without the polling workspace process")
    parser.add_argument("--skip-files", action="store_true", help="without part 2 (bombs, .qdc import)")
    parser.add_argument("--sizes", default="2000,8000,200000", help="code counts for the .qdc part")
    args = parser.parse_args()
    failures = bench_concurrent_writers(args.rounds, workspace=not args.no_workspace)
    if not args.skip_files:
        import tempfile as _tempfile

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_reliability_files import bombs, qdc

        with _tempfile.TemporaryDirectory(prefix="fieldnotes-bench-") as tmp:
            bombs(Path(tmp))
            qdc(Path(tmp), [int(s) for s in args.sizes.split(",")])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
