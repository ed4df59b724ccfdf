"""Detection in a project: which documents it has covered, running it over
the rest, and re-clustering every stored candidate into entities.

Detection stores raw candidates per document (``candidates``) and remembers
which documents it has processed with which pipeline (``detection_runs``), so
a second run skips unchanged documents and re-clustering never re-runs NER.
Clustering turns all candidates of the project into entities (``entities``)
with their mentions (``mentions``), keeping the researcher's decisions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.store.queries import pseudonyms as q

#: Pipelines loaded by name in this process: (nlp or None, loader's message).
_PIPELINES: dict[str | None, tuple[Any, str]] = {}


@dataclass(frozen=True, slots=True)
class DetectionReport:
    pipeline: str
    message: str
    processed: int
    skipped: int
    entities: int
    mentions: int


def detect_entities(project, *, pipeline: str | None = None, n_process: int = 1, force: bool = False,
                    progress: Callable[[int, int], None] | None = None, batch: int = 32,
                    nlp: Any = None, documents: Sequence[int] | None = None) -> DetectionReport:
    """See :meth:`fieldnotes.pseudonymise.service.PseudonymService.detect_entities`."""
    from fieldnotes.pseudonymise.detect import detect

    conn = project.conn
    nlp, message, label = resolve_pipeline(project, pipeline, nlp)
    done = q.detection_done(conn)
    docs = q.documents_to_detect(conn)
    if documents is not None:
        wanted = set(documents)
        todo = [d for d in docs if d[0] in wanted]
    else:
        todo = [d for d in docs if force or done.get(d[0]) != f"{d[1]}|{label}"]
    register = project.pseudonyms.register_entries()
    patterns = json.loads(project.setting("reference_patterns", "[]") or "[]")
    total = len(todo)
    # Terms the reviewer accepted from the residual queue are found again
    # in every document detection (re)processes.
    reviewed = q.reviewer_terms(conn)
    workers = n_process > 1 and total > 1
    if workers:  # small chunks keep every worker busy to the end
        batch = max(1, min(batch, total // (n_process * 4)))
    chunks = [todo[i:i + batch] for i in range(0, total, batch)]
    inputs = (([t for _, _, t in chunk], [project.turns(doc_id) for doc_id, _, _ in chunk]) for chunk in chunks)
    if workers:
        # Whole detection (NER and rules) in worker processes, started once.
        from fieldnotes.pseudonymise.workers import detect_in_workers, pipeline_package

        results = detect_in_workers(inputs, workers=n_process, pipeline=pipeline_package(nlp),
                                    reference_patterns=patterns, register=register)
    else:
        results = (detect(texts, turns, nlp=nlp, reference_patterns=patterns, register=register)
                   for texts, turns in inputs)
    # Results first: the workers' generator then runs to its end and
    # shuts its pool down cleanly.
    for i, (found, chunk) in enumerate(zip(results, chunks)):
        _store_candidates(conn, chunk, found, reviewed, label)
        if progress:
            progress(min((i + 1) * batch, total), total)
    entities, mentions = recluster(project)
    project.audit("pseudo.detect", {"pipeline": label, "processed": total})
    return DetectionReport(label, message, total, len(docs) - total, entities, mentions)


def _store_candidates(conn, chunk, found, reviewed, label: str) -> None:
    """One chunk's candidates stored (with the reviewer's terms found
    again) and its documents marked as detected with ``label``."""
    from fieldnotes.ids import now
    from fieldnotes.pseudonymise.residual import reviewer_candidates
    from fieldnotes.store.db import atomic

    with atomic(conn):
        for (doc_id, sha, text), candidates in zip(chunk, found):
            if reviewed:
                candidates = candidates + reviewer_candidates(text, reviewed, candidates)
            q.replace_candidates(conn, doc_id, [(c.start, c.end, c.text, c.category, c.detector, c.score)
                                                for c in candidates])
            q.record_detection_run(conn, doc_id, sha, label, now())


def resolve_pipeline(project, pipeline: str | None = None, nlp: Any = None) -> tuple[Any, str, str]:
    """``(nlp or None, what the loader said, the label detection runs
    record)``. A pipeline loaded by name is kept for the process: every
    export builds a view, and loading takes a second."""
    if nlp is not None:
        message = f"Using the given pipeline {nlp.meta.get('name', '')}."
    else:
        from fieldnotes.config import load_config
        from fieldnotes.pseudonymise.detect import load_pipeline

        name = pipeline or load_config().get("spacy_model") or project.setting("spacy_model")
        if name not in _PIPELINES:
            _PIPELINES[name] = load_pipeline(name)
        nlp, message = _PIPELINES[name]
    if nlp is None:
        return None, message, "rules+gazetteer"
    return nlp, message, f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'pipeline')}-{nlp.meta.get('version', '')}"


# -- coverage -----------------------------------------------------------------------


def stale_documents(project) -> list[tuple[int, str, str]]:
    """``(id, name, why)`` of every document detection has not covered in
    its current text: ``"never checked"`` or ``"changed since"``."""
    return [(r[0], r[1], "never checked" if r[3] is None else "changed since")
            for r in q.documents_with_runs(project.conn) if r[3] != r[2]]


def ensure_detection(project, *, nlp: Any = None, pipeline: str | None = None,
                     progress: Callable[[int, int], None] | None = None) -> int:
    """See :meth:`fieldnotes.pseudonymise.service.PseudonymService.ensure_detection`."""
    stale = [doc_id for doc_id, _, _ in stale_documents(project)]
    if not stale:
        return 0
    try:
        detect_entities(project, pipeline=pipeline, nlp=nlp, documents=stale, progress=progress)
    except FieldnotesError as err:
        raise FieldnotesError(f"Not written: names could not be detected in {len(stale)} new or changed "
                              f"document(s) ({err}). Fix that and run 'fieldnotes pseudo detect', "
                              "or export with --original (real names).") from None
    except Exception as err:  # a broken pipeline, a read-only or full disk: never write in the clear
        raise FieldnotesError(f"Not written: names could not be detected in {len(stale)} new or changed "
                              f"document(s) ({type(err).__name__}: {err}). Run 'fieldnotes pseudo detect' to "
                              "see why, or export with --original (real names).") from None
    return len(stale)


def detection_status(project, statuses: Sequence[str]) -> dict[str, Any]:
    """See :meth:`fieldnotes.pseudonymise.service.PseudonymService.detection_status`."""
    conn = project.conn
    stale = stale_documents(project)
    pipelines = q.pipeline_counts(conn)
    counts = q.entity_status_counts(conn)
    total = q.document_count(conn)
    return {
        "documents": total,
        "covered": total - len(stale),
        "stale": [{"document": name, "why": why} for _, name, why in stale],
        "pipelines": pipelines,
        "entities": {s: counts.get(s, 0) for s in statuses},
    }


# -- re-clustering ------------------------------------------------------------------


def recluster(project) -> tuple[int, int]:
    """Cluster all stored candidates into entities and mentions, keeping
    decisions: an existing entity that shares a surface form (same
    category) keeps its id, status, replacement and split-off mentions.
    Returns ``(entities, mentions)``."""
    from fieldnotes.pseudonymise.cluster import cluster
    from fieldnotes.store.db import atomic

    conn = project.conn
    docs = q.document_texts(conn)
    drafts = cluster(_stored_candidates(conn, docs), [t for _, t in docs],
                     allowlist=project.pseudonyms.allowlist(), register=project.pseudonyms.register_entries())
    existing = q.entities_for_clustering(conn)
    with atomic(conn):
        used, mention_rows = _keep_decisions(conn, drafts, docs, existing)
        # Entities nothing supports any more (allowlisted, say) go unless
        # the researcher decided on them.
        q.delete_entities(conn, [r[0] for r in existing if r[0] not in used and r[3] == "suggested"])
        q.replace_mentions(conn, mention_rows)
        q.delete_unsupported_suggestions(conn)
    project.pseudonyms.replacements()  # new entities get their tag now, in id order
    return q.entity_count(conn), len(mention_rows)


def _stored_candidates(conn, docs) -> list[list]:
    """The stored candidates, one list per document of ``docs``."""
    from fieldnotes.pseudonymise.detect import Candidate

    index = {doc_id: i for i, (doc_id, _) in enumerate(docs)}
    candidates: list[list[Candidate]] = [[] for _ in docs]
    for doc_id, start, end, text, category, detector, score in q.all_candidates(conn):
        candidates[index[doc_id]].append(Candidate(start, end, text, category, detector, score or 1.0))
    return candidates


def _keep_decisions(conn, drafts, docs, existing) -> tuple[set[int], list[tuple]]:
    """Match each draft to the existing entities that share a surface form
    (widening their forms) or store it as a new suggestion; returns the
    entity ids in use and the mention rows, each mention kept with the
    entity that owned it when that entity is among the draft's."""
    from fieldnotes.ids import new_guid, now

    existing_by_id = {r[0]: r for r in existing}
    owner = q.mention_owners(conn)
    by_surface: dict[tuple[str, str], list[int]] = {}
    for ent_id, category, surfaces, _ in existing:
        for surface in json.loads(surfaces):
            by_surface.setdefault((category, surface.casefold()), []).append(ent_id)
    used: set[int] = set()
    mention_rows = []
    for draft in drafts:
        matches = []
        for surface in draft.surfaces:
            for ent_id in by_surface.get((draft.category, surface.casefold()), []):
                if ent_id not in matches:
                    matches.append(ent_id)
        if matches:
            target = matches[0]
            for ent_id in matches:
                q.set_surfaces(conn, ent_id, sorted(set(json.loads(existing_by_id[ent_id][2])) | set(draft.surfaces)))
        else:
            target = q.insert_entity(conn, guid=new_guid(), category=draft.category, label=draft.label,
                                     status="suggested", created_at=now(), surfaces=sorted(draft.surfaces),
                                     replacement=draft.pseudonym,
                                     replacement_source="register" if draft.pseudonym else None)
            matches = [target]
        used.update(matches)
        seen = set()
        for doc_index, start, end, text, detector, score in draft.mentions:
            doc_id = docs[doc_index][0]
            key = (doc_id, start, end)
            if key in seen:
                continue
            seen.add(key)
            ent_id = owner.get(key) if owner.get(key) in matches else target
            mention_rows.append((ent_id, doc_id, start, end, text, detector, score))
    return used, mention_rows
