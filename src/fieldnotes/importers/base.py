"""What every importer returns, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fieldnotes.errors import FieldnotesError

#: The most text one document may hold: about three million words, several
#: hundred hours of transcript. A file that expands to more is refused (an
#: archive bomb, a log file or a database dump, not a document), so that one
#: file cannot take the memory of the whole machine.
MAX_TEXT_CHARS = 20_000_000


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


class ParseError(FieldnotesError):
    """The file cannot be imported; the message says why and what to do.

    The message follows the file's name ("is not a readable Word document
    ...")."""


def check_text_size(text: str) -> str:
    """``text``, or a ParseError when it is over :data:`MAX_TEXT_CHARS`."""
    if len(text) > MAX_TEXT_CHARS:
        raise ParseError(
            f"holds {len(text):,} characters of text, more than the {MAX_TEXT_CHARS:,} fieldnotes accepts "
            "in one document; split it into smaller files (or check that it is a transcript at all)"
        )
    return text


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
    """``text``, checked to hold something and to be within the size limit."""
    check_text_size(text)
    if not text.strip():
        raise ParseError(f"the file contains no {what}")
    return text
