"""Encrypted projects: the cost of SQLCipher, next to a plain project in the same run.

1. Import of N transcripts x W words (default 1,000 x 5,000) with
   ``fieldnotes import`` as a user runs it (a whole process), into a plain
   project and into one made with ``fieldnotes init --encrypt``
   (FIELDNOTES_PASSPHRASE), alternately, R times each.
2. A code x phase matrix over C codings (default 1,000,000; the project of
   ``bench_matrix.py``), on that project and on an encrypted copy of it,
   interleaved, R times each.

Prints medians, the ratio encrypted / plain (target <= 1.3x for both).

    python benchmarks/bench_encrypted.py [-n 1000] [-w 5000] [-c 1000000] [-r 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from bench_import import make_corpus  # noqa: E402

from fieldnotes.project import Project  # noqa: E402
from fieldnotes.store.cipher import Passphrase, encrypt_file  # noqa: E402

SECRET = "benchmark passphrase"


def fieldnotes(*args: str, env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fieldnotes", *args], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, **(env or {})})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="transcripts to import")
    parser.add_argument("-w", type=int, default=5000, help="words per transcript")
    parser.add_argument("-c", type=int, default=1_000_000, help="codings for the matrix")
    parser.add_argument("-r", "--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-encrypted-"))
    env = {"FIELDNOTES_PASSPHRASE": SECRET}
    try:
        make_corpus(root / "corpus", args.n, args.w)
        plain_times, encrypted_times = [], []
        for i in range(args.repeat):
            for kind, times in (("plain", plain_times), ("encrypted", encrypted_times)):
                path = root / f"{kind}-{i}.fnp"
                fieldnotes("init", *(["--encrypt"] if kind == "encrypted" else []), str(path), env=env)
                times.append(fieldnotes("import", str(path), str(root / "corpus"), env=env))
        p, e = statistics.median(plain_times), statistics.median(encrypted_times)
        print(f"import of {args.n:,} transcripts x {args.w:,} words (whole process, median of {args.repeat}):")
        print(f"  plain      {p:7.2f} s")
        print(f"  encrypted  {e:7.2f} s   ratio {e / p:.2f}x (target <= 1.3x)")

        from fieldnotes.analysis.matrix import code_matrix

        plain = root / "matrix.fnp"
        subprocess.run([sys.executable, str(Path(__file__).parent / "bench_matrix.py"), "-n", "1000", "-c",
                        str(args.c), "--build-only", str(plain)], check=True)
        encrypted = root / "matrix-encrypted.fnp"
        shutil.copy(plain, encrypted)
        passphrase = Passphrase(SECRET)
        encrypt_file(encrypted, passphrase)
        projects = {"plain": Project.open(plain), "encrypted": Project.open(encrypted, passphrase=passphrase)}
        times = {"plain": [], "encrypted": []}
        for project in projects.values():
            code_matrix(project, cols="attr:phase")    # warm up
        for _ in range(args.repeat):
            for kind, project in projects.items():
                started = time.perf_counter()
                code_matrix(project, cols="attr:phase")
                times[kind].append(time.perf_counter() - started)
        p, e = statistics.median(times["plain"]), statistics.median(times["encrypted"])
        print(f"code x phase matrix over {args.c:,} codings (median of {args.repeat}):")
        print(f"  plain      {p:7.3f} s")
        print(f"  encrypted  {e:7.3f} s   ratio {e / p:.2f}x (target <= 1.3x)")
        for project in projects.values():
            project.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
