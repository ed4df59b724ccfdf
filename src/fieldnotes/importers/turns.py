"""Speaker turns in plain transcripts.

Recognised at the start of a line, optionally after a time code::

    Interviewer: So tell me about your caseload.
    SW: Um, it's about twenty-four at the moment.
    [00:01:02] Speaker 1: ...
    Anita Shah: ...
    DC Hale: ...

Lines that only look similar are not turns: ``Note: ...`` and other note
headings, times such as ``10:42 Arrived``, URLs, and labels that occur only once
in a document that is not otherwise a transcript.
"""

from __future__ import annotations

import re

from fieldnotes.importers.base import ParsedTurn

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A label: 1 to 4 words, the first capitalised, the rest capitalised words,
# lower-case words ("Social worker") or small numbers ("Speaker 1").
_WORD = r"[A-Z][\w'’.\-]*"
_LABEL = rf"{_WORD}(?:[ ](?:{_WORD}|[a-z][\w'’\-]*|\d{{1,3}})){{0,3}}"
# Anchored on a literal newline (the text is searched with one prepended)
# rather than ``^`` with MULTILINE: the regex engine then jumps from newline
# to newline, which makes detection several times faster on long documents.
_LINE = re.compile(
    rf"\n[ \t]*(?:[\[(]?(?P<time>{_TIME})[\])]?[ \t]+(?:-[ \t]+)?)?"
    rf"(?P<label>{_LABEL})[ \t]*:(?:[ \t]+|(?=\n)|$)"
)

# A label used once must look like a name or a role ("Dev Malhotra",
# "Speaker 4"), not like the start of a sentence ("He said").
_STRICT = re.compile(rf"^(?:{_WORD}|\d{{1,3}})(?:[ ](?:{_WORD}|\d{{1,3}}))*$")

# Headings of notes and forms, never speakers.
_NOT_SPEAKERS = {
    "note", "notes", "nb", "n.b", "ps", "time", "date", "dates", "location", "place",
    "present", "attendees", "observation", "observations", "setting", "summary",
    "action", "actions", "agenda", "re", "subject", "title", "venue", "context",
    "comment", "comments", "reflection", "reflections", "update", "outcome",
    "outcomes", "purpose", "background", "aside", "later", "tel", "phone", "mobile",
    "email", "address", "dob", "ref", "reference", "site", "team", "role", "phase",
    "duration", "interviewer notes", "field note", "field notes", "key points",
    "next steps", "follow up", "todo", "warning", "example", "quote", "source",
    "transcript", "recording", "file", "page", "section", "question", "answer",
}


def _seconds(stamp: str | None) -> float | None:
    if not stamp:
        return None
    parts = stamp.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def detect_turns(text: str) -> list[ParsedTurn]:
    """Find speaker turns in ``text``; a turn runs to the next turn.

    A label counts as a speaker when it is used at least twice, or when the
    document already has two or more recurring speakers (a focus group member
    who speaks once). A turn's range covers what was said, not the label.
    """
    # (start of line, end of label and colon, label, time code); offsets are
    # in ``text`` (the search runs over "\n" + text).
    candidates = []
    for m in _LINE.finditer("\n" + text):
        label = m.group("label")
        if label.lower().rstrip(".") not in _NOT_SPEAKERS:
            candidates.append((m.start(), m.end() - 1, label, m.group("time")))
    if not candidates:
        return []
    counts: dict[str, int] = {}
    for c in candidates:
        key = c[2].casefold()
        counts[key] = counts.get(key, 0) + 1
    recurring = {k for k, n in counts.items() if n >= 2}
    transcript = len(recurring) >= 2
    accepted = [c for c in candidates if c[2].casefold() in recurring or (transcript and _STRICT.match(c[2]))]
    turns: list[ParsedTurn] = []
    for i, (_, start, label, time) in enumerate(accepted):
        stop = accepted[i + 1][0] if i + 1 < len(accepted) else len(text)
        end = start + len(text[start:stop].rstrip())
        # Keep the start inside the speech even when the label ends the line.
        while start < end and text[start] in " \t\n":
            start += 1
        turns.append(ParsedTurn(speaker=label.strip(), start=start, end=max(end, start), time_start=_seconds(time)))
    return turns
