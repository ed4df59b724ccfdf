"""Subtitle transcripts from Teams, Zoom and transcription services (.vtt, .srt).

The speaker of a cue comes from a WebVTT voice tag (``<v Hughes, Carys>``) or a
``Name:`` prefix; a cue without either continues the previous speaker.
Consecutive cues of one speaker merge into one turn that keeps the time codes
of its first and last cue. The stored text reads like a transcript::

    Hughes, Carys: We had three managers in a year.

    Mark Ellison: And nobody told the families.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from fieldnotes.importers.base import ParsedDocument, ParsedTurn, ParseError, normalise_newlines, read_bytes
from fieldnotes.importers.text import decode

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_PREFIX = re.compile(r"^(?P<label>[A-Z][\w'’.\-]*(?:,? [A-Z\d][\w'’.\-]*){0,3})[ \t]*:[ \t]+")


@dataclass(slots=True)
class _Cue:
    speaker: str | None
    text: str
    start: float
    end: float


def _seconds(stamp: str) -> float:
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total


def _cues(text: str, fmt: str) -> list[_Cue]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=fmt)
    except (MalformedFileError, MalformedCaptionError) as exc:
        kind = "WebVTT" if fmt == "vtt" else "SubRip (.srt)"
        raise ParseError(f"is not a valid {kind} file ({exc}); check its time-code lines") from None
    cues: list[_Cue] = []
    for caption in captions:
        raw = caption.raw_text
        voice = getattr(caption, "voice", None)
        body = html.unescape(_TAG.sub("", raw))
        body = " ".join(line.strip() for line in body.splitlines() if line.strip())
        speaker = voice.strip() if voice else None
        if speaker is None:
            match = _PREFIX.match(body)
            if match:
                speaker = match.group("label")
                body = body[match.end():]
        if body:
            cues.append(_Cue(speaker, body, _seconds(caption.start), _seconds(caption.end)))
    return cues


def _parse(path: Path, fmt: str) -> ParsedDocument:
    source, encoding, warnings = decode(read_bytes(path))
    cues = _cues(normalise_newlines(source), fmt)
    if not cues:
        raise ParseError("has no captions with text")
    # Merge consecutive cues of one speaker (a cue with no speaker continues).
    merged: list[_Cue] = []
    for cue in cues:
        if merged and (cue.speaker is None or cue.speaker == merged[-1].speaker):
            last = merged[-1]
            last.text = f"{last.text} {cue.text}"
            last.end = cue.end
        else:
            merged.append(_Cue(cue.speaker, cue.text, cue.start, cue.end))
    parts: list[str] = []
    turns: list[ParsedTurn] = []
    offset = 0
    for cue in merged:
        label = f"{cue.speaker}: " if cue.speaker else ""
        start = offset + len(label)
        block = label + cue.text
        parts.append(block)
        turns.append(ParsedTurn(cue.speaker, start, offset + len(block), cue.start, cue.end))
        offset += len(block) + 2
    return ParsedDocument(text="\n\n".join(parts), format=fmt, turns=turns, encoding=encoding, warnings=warnings)


def parse_vtt(path: Path) -> ParsedDocument:
    return _parse(path, "vtt")


def parse_srt(path: Path) -> ParsedDocument:
    return _parse(path, "srt")
