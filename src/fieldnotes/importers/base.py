"""What every importer returns, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ParsedTurn:
    """A speaker turn: ``text[start:end]`` is what the speaker said."""

    speaker: str | None
    start: int
    end: int
    time_start: float | None = None
    time_end: float | None = None


@dataclass(slots=True)
class ParsedDocument:
    """The result of parsing one file: its text (the coordinate space of every
    offset from now on), speaker turns, and anything the user should know."""

    text: str
    format: str
    turns: list[ParsedTurn] = field(default_factory=list)
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)


class ParseError(Exception):
    """The file cannot be imported; the message says why and what to do."""


def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if not data.strip():
        raise ParseError("the file is empty")
    return data


def normalise_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``; nothing else changes."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def require_text(text: str, what: str = "text") -> str:
    if not text.strip():
        raise ParseError(f"the file contains no {what}")
    return text
