"""Reading files ahead of the writer.

:func:`prepare` reads, hashes and parses one file and touches no database, so
it can run in a worker while the project writes the previous file.
:func:`read_ahead` yields prepared files in order: from a worker process for
large batches (parsing then runs on another core), from a thread for small
ones (no process start-up to pay). This module is imported by worker
processes, so it stays light: no SQLite, no sqlite-utils.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from fieldnotes import importers
from fieldnotes.model import FileOutcome
from fieldnotes.passages import count_words

#: Batches of at least this many files are parsed in worker processes.
PROCESS_THRESHOLD = 48


@dataclass(frozen=True, slots=True)
class Prepared:
    parsed: importers.ParsedDocument
    sha256: str
    words: int


_known: frozenset[str] = frozenset()


def _set_known(known: frozenset[str]) -> None:
    global _known
    _known = known


def _start_worker(known: frozenset[str], parent: int) -> None:
    """Initialise a worker process: it ends when its parent does."""
    _die_with_parent(parent)
    _set_known(known)


def _die_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` is gone.

    A worker blocked on its task queue would otherwise outlive a parent
    killed with ``kill -9`` (or by the out-of-memory killer), holding the
    resource tracker alive with it, for as long as the machine runs. On Linux
    the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG); a
    watcher thread that notices the process being re-parented covers other
    systems, and the moment between fork and prctl."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="fieldnotes-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
def _size(n: float) -> str:
    # The same megabytes as --max-size (1 MB = 1024 x 1024 bytes), so the
    # default limit reads "50 MB", not "52 MB".
    return f"{n / 1024 / 1024:.3g} MB" if n >= 1024 * 1024 else f"{n / 1024:.3g} KB"


def _too_big(size: int, max_bytes: int) -> str:
    shown, limit = _size(size), _size(max_bytes)
    if shown == limit:  # just over the limit: show enough digits to tell them apart
        shown = f"{size:,} bytes"
    return f"is {shown}, over the {limit} limit (raise it with --max-size)"


def prepare(path: Path, max_bytes: int, known: frozenset[str] | None = None) -> Prepared | FileOutcome:
    """Read, hash and parse one file. A file whose hash is already in the
    project (``known``) is not parsed: its outcome is ``skipped`` with the hash
    as message, for the writer to name the document it duplicates."""
    known = _known if known is None else known
    shown = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return FileOutcome(shown, "failed", message=_too_big(size, max_bytes))
        importers.parser_for(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except importers.ParseError as exc:
        return FileOutcome(shown, "failed", message=str(exc))
    except OSError as exc:
        return FileOutcome(shown, "failed", message=f"cannot be read ({exc.strerror})")
    if digest in known:
        return FileOutcome(shown, "skipped", message=digest)
    try:
        parsed = importers.parse(path)
    except importers.ParseError as exc:
        return FileOutcome(shown, "failed", message=str(exc))
    except Exception as exc:  # a format library failing on a corrupt file
        return FileOutcome(shown, "failed", message=f"could not be read ({exc.__class__.__name__}: {exc})")
    return Prepared(parsed, digest, count_words(parsed.text))


def _executor(n_files: int, known: frozenset[str]) -> Executor:
    cores = os.cpu_count() or 1
    if n_files >= PROCESS_THRESHOLD and cores > 1:
        # "spawn": a clean interpreter, safe whatever threads (progress bars)
        # the parent runs; it imports only this light module.
        return ProcessPoolExecutor(
            max_workers=min(4, cores - 1), mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(known, os.getpid()),
        )
    _set_known(known)
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldnotes-reader")


def read_ahead(paths: list[Path], known: set[str], max_bytes: int, depth: int = 16) -> Iterator[Prepared | FileOutcome]:
    """Prepared files (or their failures), in the order of ``paths``, keeping at
    most ``depth`` in flight so memory stays flat on large corpora.

    If the worker process dies, the rest is read in this process. A worker
    that dies before delivering any file could not start at all (a script
    calling the API without ``if __name__ == "__main__":``, a system that
    forbids processes): that is no file's fault, so nothing is reported
    failed. One that dies later was killed by the file it was reading."""
    frozen = frozenset(known)
    executor = _executor(len(paths), frozen)
    try:
        queue: deque = deque()
        upcoming = iter(paths)
        delivered = False
        try:
            for path in upcoming:
                queue.append((path, executor.submit(prepare, path, max_bytes)))
                if len(queue) >= depth:
                    break
            while queue:
                path, future = queue[0]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise
                except Exception as exc:  # e.g. a result too large to send back: that file's failure only
                    result = FileOutcome(str(path), "failed",
                                         message=f"could not be read ({exc.__class__.__name__}: {exc})")
                queue.popleft()
                delivered = True
                yield result
                following = next(upcoming, None)
                if following is not None:
                    queue.append((following, executor.submit(prepare, following, max_bytes)))
        except BrokenProcessPool:
            executor.shutdown(wait=False, cancel_futures=True)
            rest = [p for p, _ in queue] + list(upcoming)
            if delivered and rest:
                yield FileOutcome(str(rest[0]), "failed", message="crashed the file reader; the file may be corrupt")
                rest = rest[1:]
            for later in rest:
                yield prepare(later, max_bytes, frozen)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
