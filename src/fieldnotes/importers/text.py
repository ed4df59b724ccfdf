"""Plain text (.txt) and Markdown (.md) transcripts and notes.

Stored text equals the file's text except that newlines become ``\\n`` and a
byte-order mark is dropped, so an offset means the same thing to anyone who
opens the file in an editor.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from fieldnotes.importers.base import ParsedDocument, ParseError, normalise_newlines, read_bytes, require_text
from fieldnotes.importers.turns import detect_turns


def decode(data: bytes, *, lenient: bool = False) -> tuple[str, str, list[str]]:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, or cp1252.

    Returns ``(text, encoding, warnings)``. ``lenient`` (the leak checker,
    which must read every file it is given) never raises: undecodable bytes
    become U+FFFD and NUL bytes are read as text.
    """
    errors = "replace" if lenient else "strict"
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8", errors), "utf-8-sig", []
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"starts with a UTF-8 byte-order mark but is not valid UTF-8 (byte {exc.start}); "
                "re-save it as UTF-8"
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16", errors), "utf-16", []
        except UnicodeDecodeError:
            raise ParseError("starts with a UTF-16 byte-order mark but is not valid UTF-16; re-save it as UTF-8") from None
    if not lenient and b"\x00" in data[:8192]:
        raise ParseError("looks like a binary file, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252", errors)
    except UnicodeDecodeError:
        raise ParseError(
            f"is neither UTF-8 nor Windows-1252 text (undecodable byte at position {utf8_error.start}); "
            "re-save it as UTF-8"
        ) from None
    return text, "cp1252", [
        "not UTF-8: read as Windows-1252 (cp1252); check accented letters and curly quotes"
    ]


def parse(path: Path) -> ParsedDocument:
    text, encoding, warnings = decode(read_bytes(path))
    text = require_text(normalise_newlines(text))
    fmt = "md" if path.suffix.lower() in {".md", ".markdown"} else "txt"
    return ParsedDocument(text=text, format=fmt, turns=detect_turns(text), encoding=encoding, warnings=warnings)
