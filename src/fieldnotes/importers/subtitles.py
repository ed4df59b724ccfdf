"""Subtitle transcripts from Teams, Zoom and transcription services (.vtt, .srt).

The speaker of a cue comes from a WebVTT voice tag (``<v Hughes, Carys>``) or a
``Name:`` prefix; a cue without either continues the previous speaker.
Consecutive cues of one speaker merge into one turn that keeps the time codes
of its first and last cue. The stored text reads like a transcript::

    Hughes, Carys: We had three managers in a year.

    Mark Ellison: And nobody told the families.

Every word of the file is accounted for. The cues are read here rather than by
a subtitle library, because a library that meets a mistyped time code
(``00:00:1O.000``, ``00:00:08.098 -> 00:00:16.394``) skips or swallows the cue,
and the researcher loses what was said without a word. Here a cue whose time
code cannot be read keeps its text, without a time code, and the import warns
with the line number; only WebVTT ``NOTE``, ``STYLE`` and ``REGION`` blocks
(comments and styling, never speech) are left out.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from fieldnotes.importers.base import (
    ParsedDocument,
    ParsedTurn,
    ParseError,
    check_text_size,
    normalise_newlines,
    read_bytes,
)
from fieldnotes.importers.text import decode

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_VOICE = re.compile(r"<v(?:\.[\w.\-]*)?[ \t]+([^>]*)>")
_PREFIX = re.compile(r"^(?P<label>[A-Z][\w'’.\-]*(?:,? [A-Z\d][\w'’.\-]*){0,3})[ \t]*:[ \t]+")
# hh:mm:ss.ttt, mm:ss.ttt; SRT writes a comma, some tools 1 or 2 decimals.
_STAMP = r"(?:(\d{1,3}):)?([0-5]?\d):([0-5]\d)(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^[ \t]*{_STAMP}[ \t]*-->[ \t]*{_STAMP}(?:[ \t].*)?$")
# A line that was meant to be a time code: digits and separators around an
# arrow, or two time-like groups ("00:00:08.098 -> 00:00:16.394").
_TIMING_LIKE = re.compile(r"-->|^[ \t]*[\dOoIl]{1,3}[:.,;][\dOoIl:.,; ]*(?:-+>|–|—|-)")
_SKIPPED_VTT = ("NOTE", "STYLE", "REGION")


@dataclass(slots=True)
class _Cue:
    speaker: str | None
    text: str
    start: float | None
    end: float | None


def _seconds(match: re.Match, first: int) -> float:
    hours, minutes, seconds, fraction = match.group(first, first + 1, first + 2, first + 3)
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction) / 10 ** len(fraction)
    return float(total)


def _blocks(lines: list[str], first: int) -> list[tuple[int, list[str]]]:
    """Blocks of non-blank lines, each with the (1-based) number of its first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = first
    for number, line in enumerate(lines[first - 1:], start=first):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


_CUE_ID = re.compile(r"^\s*(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27,}(?:/[\w-]+)?)\s*$")


def _split_cues(start: int, block: list[str]) -> list[tuple[int, list[str]]]:
    """A block holding several cues (the blank line between them forgotten)
    split before each further time-code line (and its cue number), so that
    no time code is read as speech."""
    segments: list[tuple[int, list[str]]] = []
    begin, last_timing = 0, None
    for i, line in enumerate(block):
        if "-->" not in line:
            continue
        if last_timing is not None:
            cut = i - 1 if i - 1 > last_timing and _CUE_ID.match(block[i - 1]) else i
            segments.append((start + begin, block[begin:cut]))
            begin = cut
        last_timing = i
    segments.append((start + begin, block[begin:]))
    return segments


def _body(lines: list[str]) -> tuple[str | None, str]:
    """The speaker (voice tag or ``Name:`` prefix) and the spoken text of a cue."""
    raw = "\n".join(lines)
    voice = _VOICE.search(raw)
    body = html.unescape(_TAG.sub("", raw))
    body = " ".join(line.strip() for line in body.splitlines() if line.strip())
    speaker = voice.group(1).strip() or None if voice else None
    if speaker is None:
        match = _PREFIX.match(body)
        if match:
            speaker = match.group("label")
            body = body[match.end():]
    return speaker, body


def _cues(text: str, fmt: str, warnings: list[str]) -> list[_Cue]:
    lines = text.split("\n")
    first = 1
    if fmt == "vtt":
        header = lines[0].lstrip("\ufeff") if lines else ""
        if not header.startswith("WEBVTT"):
            raise ParseError(
                f"is not a valid WebVTT file: line 1 is {header[:40]!r}, not 'WEBVTT'; "
                "if it is a SubRip file, rename it to .srt"
            )
        first = 2
    cues: list[_Cue] = []
    bad: list[int] = []
    for start_line, block in (segment for b in _blocks(lines, first) for segment in _split_cues(*b)):
        if fmt == "vtt" and start_line <= 2 and cues == [] and not any("-->" in b for b in block) and (
            block[0].startswith(("Kind:", "Language:", "X-"))
        ):
            continue  # header metadata lines straight after WEBVTT
        if fmt == "vtt" and block[0].split(" ", 1)[0].split("\t", 1)[0] in _SKIPPED_VTT and "-->" not in block[0]:
            continue
        timing_at = next((i for i, line in enumerate(block) if "-->" in line), None)
        if timing_at is None:
            timing_at = next((i for i, line in enumerate(block[:3]) if _TIMING_LIKE.search(line)), None)
        start = end = None
        if timing_at is None:
            # No time code at all: in an SRT a lone number is the cue
            # number; every other line is kept as text.
            payload = block
            if fmt == "srt" and len(block) > 1 and block[0].strip().isdigit():
                payload = block[1:]
            bad.append(start_line)
        else:
            match = _TIMING.match(block[timing_at])
            if match:
                start, end = _seconds(match, 1), _seconds(match, 5)
            else:
                bad.append(start_line + timing_at)
            payload = block[timing_at + 1:]
            # Lines before the time code are the cue's identifier; only a
            # second one would be text (the time-code line was lost).
            if timing_at > 1:
                payload = block[1:timing_at] + payload
        speaker, body = _body(payload)
        if body:
            cues.append(_Cue(speaker, body, start, end))
        elif timing_at is None:
            bad.pop()
    if bad:
        shown = ", ".join(str(n) for n in bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        warnings.append(
            f"{len(bad)} cue(s) with a time code that cannot be read (line {shown}); "
            "their text is kept, without time codes: check those lines"
        )
    return cues


def _parse(path: Path, fmt: str) -> ParsedDocument:
    source, encoding, warnings = decode(read_bytes(path))
    check_text_size(source)
    cues = _cues(normalise_newlines(source), fmt, warnings)
    if not cues:
        raise ParseError("has no captions with text")
    # Merge consecutive cues of one speaker (a cue with no speaker continues).
    merged: list[_Cue] = []
    for cue in cues:
        if merged and (cue.speaker is None or cue.speaker == merged[-1].speaker):
            last = merged[-1]
            last.text = f"{last.text} {cue.text}"
            if cue.end is not None:
                last.end = cue.end
            if last.start is None:
                last.start = cue.start
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
    """Read a WebVTT transcript (Teams, Zoom); see the module docstring."""
    return _parse(path, "vtt")


def parse_srt(path: Path) -> ParsedDocument:
    """Read a SubRip (.srt) transcript; see the module docstring."""
    return _parse(path, "srt")
