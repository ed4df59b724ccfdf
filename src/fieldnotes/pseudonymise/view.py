"""The project as it may leave the secure environment: one view object that
every output takes.

Every export (``export text|quotes|matrix|cooccurrence|framework|safe-copy``,
``qdpx export``) and the workspace's F6 view read the project through a
:class:`ProjectView` and never read raw text themselves:

* :class:`PseudonymisedView` (``project.pseudonyms.pseudonymised_view()``), the default.
  Building it first brings detection up to date for every document never
  checked or changed since (incremental; :attr:`detection` says what was done
  and how long it took); if detection cannot run the view is not built and a
  :class:`~fieldnotes.errors.FieldnotesError` says why and what to do, so an
  output is never written in the clear by accident. Mentions of every entity
  the researcher has not rejected are replaced in document text and turns;
  free text (memos, code names and descriptions, attribute values, case
  names, document names) loses every known surface form *and* whatever
  detection finds in the value itself.
* :class:`OriginalView` (``project.pseudonyms.original_view()``): the deliberate way out
  (``--original``); the caller warns.

Which column gets which treatment is decided once in
:mod:`fieldnotes.store.classification`; :meth:`ProjectView.column` applies it.

>>> view = project.pseudonyms.pseudonymised_view()                         # doctest: +SKIP
>>> view.passage("p1_int_sw01.txt", 120, 260)                   # doctest: +SKIP
>>> view.scrub("Visit to Jodie Mensah at TF1 5QP")              # doctest: +SKIP
'Visit to [Person 3] at TF1'
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from fieldnotes.store.classification import DERIVED, DROP, KEEP, NAME, SCRUB, SPEAKER, policy
from fieldnotes.store.queries import pseudonyms as q

# Separators that file and document names use between words; read as spaces
# so that "Jodie_Mensah_interview" is seen as a name (same length: offsets hold).
_NAME_SEPARATORS = str.maketrans({"_": " ", "-": " ", ".": " ", "+": " "})
#: Values of at least this many words are read as prose (NER runs on them).
_PROSE_WORDS = 6
_UNSAFE_FILE_CHARS = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True, slots=True)
class DetectionSummary:
    """What building a pseudonymised view did to bring detection up to date."""

    checked: int
    """Documents detection ran on now (never checked, or changed since)."""
    total: int
    """Documents in the project."""
    seconds: float
    pipeline: str
    """The pipeline used ("rules+gazetteer" when no statistical one is installed)."""
    message: str
    """What the pipeline loader said (a fallback is explained here)."""

    @property
    def statistical(self) -> bool:
        return self.pipeline != "rules+gazetteer"

    def line(self) -> str:
        """One line for the researcher."""
        how = self.pipeline if self.statistical else "rules and the first-name gazetteer only (no spaCy pipeline)"
        if not self.checked:
            return f"Detection up to date for all {self.total} document(s)."
        return (f"Detected names in {self.checked} new or changed document(s) of {self.total} "
                f"in {self.seconds:.1f} s with {how}.")


class ProjectView:
    """What an output may read of a project. Subclasses decide how text is
    treated; outputs call these methods for every piece of text they write."""

    pseudonymised = False
    detection: DetectionSummary | None = None

    def __init__(self, project: Any) -> None:
        self.project = project
        self._ids: dict[str, int] = {}
        self._names: dict[int, str] | None = None

    # -- documents -----------------------------------------------------------------

    def doc_id(self, document: str | int) -> int:
        """A document's id from its id or its name."""
        if isinstance(document, int):
            return document
        if document not in self._ids:
            self._ids[document] = self.project.document_id(document)
        return self._ids[document]

    def _raw_name(self, doc_id: int) -> str:
        if self._names is None:
            self._names = q.document_names(self.project.conn)
        return self._names[doc_id]

    def text(self, document: str | int) -> str:
        """The document's text as this view shows it."""
        return self.document(document)[0]

    def document(self, document: str | int) -> tuple[str, Any]:
        """``(text, offset map or None)`` of a document."""
        return self.project.document_text(self.doc_id(document)), None

    def span(self, document: str | int, start: int, end: int) -> tuple[int, int]:
        """A range of the stored text moved onto this view's text."""
        mapping = self.document(document)[1]
        return mapping.range_to_view(start, end) if mapping is not None else (start, end)

    def passage(self, document: str | int, start: int, end: int) -> str:
        """The words of a stored range (a coding) as this view shows them."""
        text, mapping = self.document(document)
        if mapping is not None:
            start, end = mapping.range_to_view(start, end)
        return text[start:end]

    def turns(self, document: str | int, turns: Iterable | None = None) -> list:
        """The document's speaker turns, on this view's text."""
        doc_id = self.doc_id(document)
        return list(self.project.turns(doc_id) if turns is None else turns)

    def document_name(self, document: str | int) -> str:
        """The document's name as shown in an output."""
        return self._raw_name(self.doc_id(document))

    def file_names(self) -> dict[int, str]:
        """Document id -> a file-name stem made from :meth:`document_name`:
        unsafe characters become ``_`` and a clash gets ``-2``, ``-3`` in
        document id order (ids never change, so neither do the names)."""
        stems: dict[int, str] = {}
        seen: set[str] = set()
        for doc_id in q.document_ids(self.project.conn):
            stem = re.sub(r"_{2,}", "_", _UNSAFE_FILE_CHARS.sub("_", PurePath(self.document_name(doc_id)).stem))
            stem = stem.strip("._") or f"document-{doc_id}"
            candidate, n = stem, 1
            while candidate.casefold() in seen:
                n += 1
                candidate = f"{stem}-{n}"
            seen.add(candidate.casefold())
            stems[doc_id] = candidate
        return stems

    # -- other text ------------------------------------------------------------------

    def scrub(self, value: Any) -> Any:
        """Free text (a memo, a code name, an attribute value) as it may leave."""
        return value

    def speaker(self, value: str | None) -> str | None:
        """A speaker label as it may leave."""
        return value

    def column(self, table: str, column: str, value: Any) -> Any:
        """``value`` of ``table.column`` treated by the column's classified
        policy (a KeyError for a column nobody classified)."""
        rule = policy(table, column)
        if rule == KEEP or rule == DERIVED:
            return value
        if rule == DROP:
            return None
        if rule == SCRUB:
            return self.scrub(value) if isinstance(value, str) else value
        if rule == SPEAKER:
            return self.speaker(value)
        if rule == NAME:
            return self.name(value)
        raise ValueError(f"{table}.{column} ({rule}) is not a single value; use the view's document methods.")

    def name(self, value: str) -> str:
        """A name that may contain ``_``-joined words (a document name)."""
        return value

    def table(self, table):
        """A result table (matrix, co-occurrence, framework) as it may leave."""
        return table

    def codebook(self, nodes: list) -> list:
        """Codebook nodes (``project.codebook.codebook_nodes()``) as they may leave:
        each field by the classification of its ``codes`` column."""
        for node in nodes:
            for _, each in node.walk():
                for name in ("name", "description", "inclusion", "exclusion", "example"):
                    setattr(each, name, self.column("codes", name, getattr(each, name)) or "")
        return nodes


class OriginalView(ProjectView):
    """The project as recorded: real names everywhere (``--original``)."""


class PseudonymisedView(ProjectView):
    """The project with every identifying mention replaced (see the module
    docstring). Build it with ``project.pseudonyms.pseudonymised_view()``."""

    pseudonymised = True

    def __init__(self, project: Any, *, nlp: Any = None, pipeline: str | None = None, ensure: bool = True,
                 progress: Callable[[int, int], None] | None = None) -> None:
        super().__init__(project)
        started = time.perf_counter()
        self._nlp, message, label = project.pseudonyms.resolve_pipeline(pipeline, nlp)
        checked = 0
        if ensure:
            checked = project.pseudonyms.ensure_detection(nlp=self._nlp, pipeline=pipeline, progress=progress)
        total = q.document_count(project.conn)
        self.detection = DetectionSummary(checked, total, time.perf_counter() - started, label, message)
        self.replacements: dict[int, str] = project.pseudonyms.replacements()
        self._forms, self._pattern = _known_forms(project, self.replacements)
        self._kept = {a.casefold() for a in project.pseudonyms.allowlist()}
        for surfaces in q.rejected_surfaces(project.conn):
            self._kept.update(s.casefold() for s in json.loads(surfaces))
        # Text that is already a pseudonym ("[Person 3]", a surrogate name)
        # is never scrubbed again (a framework cell passes through twice).
        # (Unless the pseudonym is itself a real name in the project: a typed
        # "Sophie" never shields a real Sophie.)
        values = sorted({v for v in self.replacements.values() if v and v.casefold() not in self._forms},
                        key=len, reverse=True)
        self._pseudonyms = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in values) + r")(?!\w)")
                            if values else None)
        self._docs: dict[int, tuple[str, Any]] = {}
        self._scrubbed: dict[str, str] = {}
        self._shown_names: dict[int, str] | None = None
        self._prefetch()

    # -- documents -----------------------------------------------------------------

    def document(self, document: str | int) -> tuple[str, Any]:
        doc_id = self.doc_id(document)
        if doc_id not in self._docs:
            from fieldnotes.pseudonymise.offsets import render

            self._docs[doc_id] = render(self.project.document_text(doc_id),
                                        self.project.pseudonyms.view_replacements(doc_id, self.replacements))
        return self._docs[doc_id]

    def turns(self, document: str | int, turns: Iterable | None = None) -> list:
        from fieldnotes.model import Turn

        doc_id = self.doc_id(document)
        mapping = self.document(doc_id)[1]
        source = self.project.turns(doc_id) if turns is None else turns
        return [Turn(t.seq, self.speaker(t.speaker or "") or None,
                     *(mapping.range_to_view(t.start, t.end) if t.end > t.start else (mapping.to_view(t.start),) * 2),
                     t.time_start, t.time_end) for t in source]

    def document_name(self, document: str | int) -> str:
        if self._shown_names is None:
            # Unique, as the names they stand for were: numbered in id order.
            seen: set = set()
            self._shown_names = {
                doc_id: unique_name(self.name(name), (), seen, keep_suffix=True)
                for doc_id, name in q.document_names(self.project.conn).items()}
        return self._shown_names[self.doc_id(document)]

    # -- other text ------------------------------------------------------------------

    def speaker(self, value: str | None) -> str | None:
        # A label is part of the transcript, where detection already ran
        # (speaker labels are one of its detectors): known forms are enough.
        if not value:
            return value
        return self._pattern.sub(lambda m: self._forms[m.group(1).casefold()], value) if self._pattern else value

    def scrub(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            return value
        if value not in self._scrubbed:
            self._scrub_many([value])
        return self._scrubbed[value]

    def name(self, value: str) -> str:
        return self.scrub(value)

    def table(self, table):
        from fieldnotes.analysis.table import scrub_table

        scrub_table(table, self.scrub)
        table.notes.append("pseudonymised")
        return table

    def _prefetch(self) -> None:
        """Scrub every free-text value of the project in one detection batch
        (one pass of the pipeline instead of one per value)."""
        conn = self.project.conn
        # Prose about participants (memos, a codebook's example quotes, case
        # descriptions) also goes through the statistical recogniser; labels
        # and the codebook's definitions, where it mostly guesses ("Workload"
        # as an organisation), get rules, the register and the gazetteer.
        labels, prose = q.free_text(conn)
        # A code's name (once it is safe itself) may be named in another
        # code's definition: never mistake it for a person or a place.
        self._scrub_many(list(dict.fromkeys(labels)), ner=False)
        self._safe_labels = {self._scrubbed[name] for name in q.code_names(conn)
                             if self._scrubbed.get(name) == name and len(name) > 2}
        self._scrub_many(list(dict.fromkeys(prose)), ner=True)

    def _scrub_many(self, values: list[str], ner: bool = True) -> None:
        from fieldnotes.pseudonymise.detect import detect
        from fieldnotes.pseudonymise.offsets import Replacement, render

        values = [v for v in dict.fromkeys(values) if v not in self._scrubbed]
        if not values:
            return
        readable = [v.translate(_NAME_SEPARATORS) for v in values]
        # The statistical recogniser needs context: on a bare label it
        # guesses, so only prose of a few words or more goes through it.
        register = self.project.pseudonyms.register_entries()
        prose = [i for i, text in enumerate(readable) if ner and len(text.split()) >= _PROSE_WORDS]
        rest = sorted(set(range(len(readable))) - set(prose))
        found: list[list] = [[] for _ in readable]
        for group, nlp in ((prose, self._nlp), (rest, None)):
            for i, cands in zip(group, detect([readable[i] for i in group], nlp=nlp, register=register)):
                found[i] = cands
        safe = getattr(self, "_safe_labels", set())
        safe_pattern = (re.compile("|".join(re.escape(x) for x in sorted(safe, key=len, reverse=True)), re.IGNORECASE)
                        if safe else None)
        for value, text, candidates in zip(values, readable, found):
            protected = [m.span() for m in self._pseudonyms.finditer(text)] if self._pseudonyms else []
            kept_labels = [m.span() for m in safe_pattern.finditer(value)] if safe_pattern else []
            spans = []
            if self._pattern is not None:
                spans += [Replacement(m.start(), m.end(), self._forms[m.group(1).casefold()])
                          for m in self._pattern.finditer(text)]
            for c in candidates:
                if c.text.casefold() in self._kept or text[c.start:c.end].strip().casefold() in self._kept:
                    continue
                if any(a <= c.start and c.end <= b for a, b in kept_labels):
                    continue
                spans.append(Replacement(c.start, c.end, self._replacement_for(c.text, c.category)))
            # Only what lies wholly inside a pseudonym is left alone: "TF2 7XY"
            # is still a postcode though "TF2" is another one's district.
            spans = [r for r in spans if not any(a <= r.start and r.end <= b for a, b in protected)]
            self._scrubbed[value] = render(value, spans, match_case=False)[0] if spans else value

    def _replacement_for(self, surface: str, category: str) -> str:
        """A detected value in free text: the known entity's pseudonym when the
        surface is one, else a generic tag of its kind (never a number that
        could be mistaken for another entity's)."""
        from fieldnotes.pseudonymise.replace import EntityInfo, postcode_district, tag_name

        known = self._forms.get(surface.casefold())
        if known:
            return known
        if category == "POSTCODE":
            return postcode_district(surface.upper()) or "[Postcode]"
        return f"[{tag_name(EntityInfo(0, category, surface))}]"


def _known_forms(project: Any, replacements: dict[int, str]) -> tuple[dict[str, str], re.Pattern | None]:
    """Every surface form of every entity not rejected (and each part of a
    person's name), folded -> its replacement, with one regex finding them as
    whole words, longest first.

    A part of a name that is a function word, a title, a kin term, a role or
    on the keep list never counts ("And" of a span that caught a sentence's
    first word would otherwise mask every "and"). A name that is also an
    ordinary word ("Will", "Grace", "May") counts only as a name is written,
    capitalised: "we will" stays, "Will said" does not."""
    from fieldnotes.pseudonymise.categories import is_kept
    from fieldnotes.pseudonymise.names import TITLES, is_kinship, is_role_word, is_title

    allowed = {a.casefold() for a in project.pseudonyms.allowlist()}
    forms: dict[str, str] = {}
    parts: dict[str, str] = {}
    for ent_id, category, surfaces in q.replaced_entities(project.conn):
        value = replacements.get(ent_id, "[Redacted]")
        for surface in json.loads(surfaces):
            if len(surface) >= 2 and surface.casefold() not in allowed and not _function_word(surface):
                forms.setdefault(surface.casefold(), value)
            # A memo may say "Anita" where the transcripts only ever said
            # "Anita Shah": each part of a person's name counts too.
            if category == "PERSON":
                for part in re.findall(r"[A-Z][\w'’-]{2,}", surface):
                    if (part in TITLES or part.casefold() in allowed or _function_word(part) or is_title(part)
                            or is_kinship(part) or is_role_word(part) or is_kept(part)):
                        continue
                    parts.setdefault(part.casefold(), value)
    for part, value in parts.items():
        forms.setdefault(part, value)
    if not forms:
        return forms, None
    pattern = re.compile(
        r"(?<![^\W_])(" + "|".join(_alternative(f) for f in sorted(forms, key=len, reverse=True)) + r")(?![^\W_])",
        re.IGNORECASE)
    return forms, pattern


def _function_word(word: str) -> bool:
    from fieldnotes.pseudonymise.names import _FUNCTION_WORDS, AMBIGUOUS_NAMES

    folded = word.casefold()
    return folded in _FUNCTION_WORDS and folded not in AMBIGUOUS_NAMES


def _alternative(form: str) -> str:
    """``form`` (folded) as a regex alternative: any case, except a one-word
    name that is also an ordinary word, which must be capitalised (or in
    capitals) to count."""
    from fieldnotes.pseudonymise.names import is_ambiguous_name

    if " " not in form and is_ambiguous_name(form):
        spellings = {form[:1].upper() + form[1:], form.upper()}
        return "(?-i:" + "|".join(re.escape(x) for x in sorted(spellings)) + ")"
    return re.escape(form)


def unique_name(name: str, scope: tuple, seen: set, *, keep_suffix: bool = False) -> str:
    """``name``, or ``name (2)``, ``name (3)``... when ``seen`` already holds
    it in the same ``scope`` (two real names can scrub to the same words);
    records the result in ``seen``. With ``keep_suffix`` the number goes
    before a file extension ("[Person]_interview (2).txt")."""
    suffix = PurePath(name).suffix if keep_suffix else ""
    stem = name[:len(name) - len(suffix)]
    candidate, n = name, 1
    while (scope, candidate.casefold()) in seen:
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    seen.add((scope, candidate.casefold()))
    return candidate
