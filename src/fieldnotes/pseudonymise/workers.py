"""Detection in worker processes, for an archive of case notes.

:func:`detect_in_workers` runs the whole of :func:`~fieldnotes.pseudonymise.
detect.detect` (NER, rules, speaker labels, the register, the gazetteer) in
``workers`` processes, each loading the spaCy pipeline once, and yields the
results chunk by chunk in the order given, so the caller writes them while the
next chunks are being processed. Running the rules in the workers too (rather
than only spaCy's ``nlp.pipe(n_process=...)``) keeps the parent free to store
results, and the pool starts once per run, not once per chunk.

Workers are started with "spawn" (a clean interpreter, safe whatever threads
the parent runs), keep to one thread each, and end when the parent process
dies (Linux: ``PR_SET_PDEATHSIG``; elsewhere they end when their task pipe
closes).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

_state: dict[str, Any] = {}


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to end this process when its parent ends, and end now
    if the parent is already gone."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the closed task pipe ends the worker
        pass
    if os.getppid() != parent:
        os._exit(1)


def _init(parent: int, pipeline: str | None, reference_patterns: Sequence[str], register: Sequence) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # one core per worker: N workers use N cores
    _die_with_parent(parent)
    from fieldnotes.pseudonymise.detect import load_pipeline

    nlp = None
    if pipeline is not None:
        nlp, message = load_pipeline(pipeline)
        if nlp is None:  # never fall back silently to weaker detection
            raise RuntimeError(message)
    _state.update(nlp=nlp, patterns=tuple(reference_patterns), register=tuple(register))


def _run(texts: Sequence[str], turns: Sequence[Sequence]) -> list[list[tuple]]:
    from fieldnotes.pseudonymise.detect import detect

    found = detect(texts, turns, nlp=_state["nlp"], reference_patterns=_state["patterns"],
                   register=_state["register"])
    # Plain tuples cross the process boundary cheaply.
    return [[(c.start, c.end, c.text, c.category, c.detector, c.score) for c in doc] for doc in found]


def detect_in_workers(
    chunks: Iterable[tuple[Sequence[str], Sequence[Sequence]]],
    *,
    workers: int,
    pipeline: str | None,
    reference_patterns: Sequence[str] = (),
    register: Sequence = (),
) -> Iterator[list[list]]:
    """For each ``(texts, turns)`` chunk, in order, the candidates of each
    text (as :func:`~fieldnotes.pseudonymise.detect.detect` returns them).
    ``pipeline`` is the spaCy pipeline's package name (None: rules alone).
    At most two chunks per worker are in flight, so memory stays bounded."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from concurrent.futures.process import BrokenProcessPool

    from fieldnotes.errors import FieldnotesError
    from fieldnotes.pseudonymise.detect import Candidate

    pending: deque = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init,
                             initargs=(os.getpid(), pipeline, tuple(reference_patterns), tuple(register))) as pool:
        iterator = iter(chunks)
        exhausted = False
        while True:
            while not exhausted and len(pending) < 2 * workers:
                try:
                    texts, turns = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.submit(_run, list(texts), [list(t) for t in turns]))
            if not pending:
                break
            try:
                result = pending.popleft().result()
            except BrokenProcessPool as exc:
                raise FieldnotesError(f"A detection worker stopped ({exc}); run again with one worker "
                                      "(--workers 1) to see the error.") from exc
            except BaseException:
                # Interrupted, or a worker's own error: drop the queued chunks
                # rather than finishing them.
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            try:
                yield [[Candidate(*c) for c in doc] for doc in result]
            except GeneratorExit:  # the caller stopped (its write failed): same
                pool.shutdown(wait=False, cancel_futures=True)
                raise


def pipeline_package(nlp) -> str | None:
    """The importable name of a loaded pipeline ("en_core_web_sm"), for the
    workers to load it again."""
    import importlib.util

    from fieldnotes.errors import FieldnotesError

    if nlp is None:
        return None
    name = f"{nlp.meta.get('lang', 'en')}_{nlp.meta.get('name', '')}"
    if importlib.util.find_spec(name) is None:
        raise FieldnotesError(f"Worker processes load the pipeline by its package name, and {name!r} is not an "
                              "installed package; run with one worker, or name an installed pipeline with --pipeline.")
    return name
