"""Who said what: a coded passage cut into the turns of its speakers, each
with its case and attribution, and the researcher's own notes told apart from
the participants' words.

* A passage in an observation or field note (document kind ``observation`` or
  ``field_note``), or a paragraph inside a transcript that starts "Note:", is
  the researcher's note: it is attributed with the project setting
  ``observation_attribution_template`` ("Observation note, Ludlow, phase 3"),
  never with a participant's role.
* A passage that spans turns is cut at the turns, each part attributed to its
  speaker; the speaker labels and time codes between and before the turns
  ("[00:00:05] Interviewer:") are left out of the quoted words.
* Where a document's speakers are linked to cases (a joint interview, a focus
  group), each turn belongs to its speaker's case. A turn whose speaker has
  no case goes to all the document's cases, marked ``unlinked``, never
  silently.

Attribution values go through ``scrub`` (the project's string pseudonymiser
for a pseudonymised output) here and nowhere else, so a case name or speaker
label in a template never carries a real name out.

Used by :meth:`Project.passages`, the quotes export and the framework matrix.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: Document kinds whose every word is the researcher's, and how their
#: passages are named in an attribution (the ``{note}`` field).
NOTE_KINDS = {"observation": "Observation note", "field_note": "Field note"}
#: How a "Note:" paragraph inside a transcript is named.
RESEARCHER_NOTE = "Researcher's note"
NOTES_CHOICES = ("include", "exclude", "only")
DEFAULT_TEMPLATE = "{role}, {years_qualified} years qualified"
DEFAULT_NOTE_TEMPLATE = "{note}, {setting}, phase {phase}"
DEFAULT_INTERVIEWER_LABELS = "Interviewer,Researcher,Facilitator,Moderator,Q,INT"

_TIME = re.compile(r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?(?:[ \t]*[-–][ \t]*|\s+)")
_LABEL = re.compile(r"([A-Z][\w'’.\-]*(?:,? [\w'’.\-]+){0,3})[ \t]*:\s+")
_NOTE = re.compile(r"[\[(]?(?:(?:researcher|interviewer|field)(?:'s)?\s+)?(?:note|nb|n\.b\.)s?\s*[:\-–]\s", re.I)


@dataclass(frozen=True, slots=True)
class Segment:
    """One speaker's part of a coded passage."""

    start: int
    end: int
    """The part's range in the original text, labels and time codes left out."""
    text: str
    speaker: str | None
    attribution: str
    note: bool
    """The researcher's note, not a participant's words."""
    cases: tuple[str, ...]
    """The cases whose words these are."""
    unlinked: bool = False
    """The speaker has no case in a document whose other speakers do: the
    part goes to all the document's cases."""


def fill(template: str, attributes: dict[str, Any]) -> str:
    """Fill ``template`` ("{role}, {years_qualified} years qualified") from
    attributes. Comma-separated parts whose fields are missing are dropped, so
    a manager without years qualified reads "Team manager"."""
    parts = []
    for part in template.split(","):
        fields = re.findall(r"{(\w+)}", part)
        if all(attributes.get(f) not in (None, "") for f in fields):
            parts.append(re.sub(r"{(\w+)}", lambda m: str(attributes[m.group(1)]), part).strip())
    return ", ".join(p for p in parts if p)


def trim_label(text: str, start: int, end: int, labels: set[str] = frozenset()) -> tuple[int, int]:
    """``[start, end)`` without surrounding whitespace and without a leading
    time code ("13:10 ", "[00:00:05] ") or speaker label ("SW: ", when the
    label is one of ``labels``, case-folded)."""
    for _ in range(3):
        while start < end and text[start].isspace():
            start += 1
        m = _TIME.match(text, start, end)
        if m:
            start = m.end()
            continue
        m = _LABEL.match(text, start, end)
        if m and m.group(1).casefold() in labels:
            start = m.end()
            continue
        break
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class Attributor:
    """Cuts passages into attributed segments for one project, reading what
    it needs once (documents, turns, attributes, cases, settings)."""

    def __init__(self, project: Any, scrub: Callable[[str], str] | None = None) -> None:
        self.scrub = scrub or (lambda value: value)
        self.kinds = project.kinds()
        self.attributes = project.attributes.of("document")
        by_id = project.attributes.of("case")
        self.case_attributes = {name: by_id.get(case_id, {})
                                for case_id, name in project.attributes.case_names()}
        self.doc_cases = project.attributes.cases_by_document()
        self.speaker_cases = project.attributes.speaker_cases()
        self.template = project.setting("attribution_template", DEFAULT_TEMPLATE) or ""
        self.note_template = project.setting("observation_attribution_template", DEFAULT_NOTE_TEMPLATE) or ""
        self.asking = {label.strip().casefold() for label in (
            project.setting("interviewer_labels", None) or DEFAULT_INTERVIEWER_LABELS).split(",")}
        self._project = project
        self._docs: dict[int, tuple[str, list, list[int], set[str]]] = {}
        self._profiles: dict[tuple, tuple[str, tuple[str, ...], bool]] = {}

    def _load(self, doc_id: int) -> tuple[str, list, list[int], set[str]]:
        """A document's text, turns, turn starts and speaker labels (case-folded), read once."""
        if doc_id not in self._docs:
            text = self._project.document_text(doc_id)
            turns = self._project.turns(doc_id)
            labels = {t.speaker.casefold() for t in turns if t.speaker} | self.asking
            self._docs[doc_id] = (text, turns, [t.start for t in turns], labels)
        return self._docs[doc_id]

    def text(self, doc_id: int) -> str:
        """A document's text (read once)."""
        return self._load(doc_id)[0]

    def segments(self, doc_id: int, start: int, end: int) -> tuple[Segment, ...]:
        """The attributed parts of ``[start, end)`` in a document, in order."""
        text, turns, starts, labels = self._load(doc_id)
        pieces: list[tuple[int, int, str | None]] = []
        pos = start
        i = max(0, bisect.bisect_right(starts, start) - 1)
        while i < len(turns) and turns[i].start < end:
            turn = turns[i]
            i += 1
            if turn.end <= start:
                continue
            if turn.start > pos:
                # Between turns (or before the first): keep what is not the
                # next turn's label line.
                line = text.rfind("\n", pos, turn.start)
                if line > pos:
                    pieces.append((pos, line, None))
            pieces.append((max(pos, turn.start), min(end, turn.end), turn.speaker))
            pos = max(pos, min(end, turn.end))
        if pos < end:
            pieces.append((pos, end, None))
        kind = self.kinds.get(doc_id)
        result: list[Segment] = []
        for a, b, speaker in pieces:
            a, b = trim_label(text, a, b, labels)
            if a < b:
                result.append(self._segment(doc_id, kind, text, a, b, speaker))
        return tuple(result)

    def _segment(self, doc_id: int, kind: str | None, text: str, a: int, b: int, speaker: str | None) -> Segment:
        heading = _NOTE.match(text, a, b)
        note = kind in NOTE_KINDS or heading is not None
        if heading and heading.end() < b:
            # "Note:" says what the attribution and the note marker say.
            a = heading.end()
        key = (doc_id, speaker, note)
        if key not in self._profiles:
            self._profiles[key] = self._profile(doc_id, kind, speaker, note)
        attribution, cases, unlinked = self._profiles[key]
        return Segment(a, b, text[a:b], speaker, attribution, note, cases, unlinked)

    def _profile(self, doc_id: int, kind: str | None, speaker: str | None,
                 note: bool) -> tuple[str, tuple[str, ...], bool]:
        """The attribution, cases and "no case" flag of one speaker (or the
        researcher's notes) in one document: the same for all their turns."""
        attrs = dict(self.attributes.get(doc_id, {}))
        cases = tuple(self.doc_cases.get(doc_id, ()))
        mapping = self.speaker_cases.get(doc_id, {})
        if note:
            attrs["note"] = NOTE_KINDS.get(kind, RESEARCHER_NOTE)
            attrs.setdefault("setting", attrs.get("site"))
            attrs["case"] = ", ".join(cases)
            return fill(self.note_template, _scrubbed(attrs, self.scrub)), cases, False
        folded = speaker.strip().casefold() if speaker else None
        if folded and folded in mapping:
            case = mapping[folded]
            attrs.update(self.case_attributes.get(case, {}))
            attrs["case"] = case
            cases, unlinked = (case,), False
        else:
            attrs["case"] = ", ".join(cases)
            unlinked = bool(mapping) and speaker is not None
        if folded in self.asking:
            # A question the researcher asked is not the participant's words.
            return "Interviewer", cases, unlinked
        attrs["speaker"] = speaker or ""
        return fill(self.template, _scrubbed(attrs, self.scrub)), cases, unlinked


def _scrubbed(attrs: dict[str, Any], scrub: Callable[[str], str]) -> dict[str, Any]:
    return {k: scrub(v) if isinstance(v, str) else v for k, v in attrs.items()}


def keep_notes(segments: Sequence[Segment], notes: str) -> tuple[Segment, ...]:
    """The segments ``notes`` asks for: ``include`` all, ``exclude`` the
    participants' words only, ``only`` the researcher's notes only."""
    if notes not in NOTES_CHOICES:
        from fieldnotes.errors import FieldnotesError

        raise FieldnotesError(f"Unknown notes choice '{notes}'; use include, exclude or only.")
    if notes == "include":
        return tuple(segments)
    return tuple(s for s in segments if s.note == (notes == "only"))
