"""Importers: one module per format, each ``parse(path) -> ParsedDocument``.

The registry maps a file suffix to its parser. Parsers import their format
library lazily, so listing formats costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fieldnotes.importers.base import ParsedDocument, ParsedTurn, ParseError

Parser = Callable[[Path], ParsedDocument]


def _text(path: Path) -> ParsedDocument:
    from fieldnotes.importers import text

    return text.parse(path)


def _docx(path: Path) -> ParsedDocument:
    from fieldnotes.importers import docx

    return docx.parse(path)


def _odt(path: Path) -> ParsedDocument:
    from fieldnotes.importers import odt

    return odt.parse(path)


def _pdf(path: Path) -> ParsedDocument:
    from fieldnotes.importers import pdf

    return pdf.parse(path)


def _vtt(path: Path) -> ParsedDocument:
    from fieldnotes.importers import subtitles

    return subtitles.parse_vtt(path)


def _srt(path: Path) -> ParsedDocument:
    from fieldnotes.importers import subtitles

    return subtitles.parse_srt(path)


REGISTRY: dict[str, Parser] = {
    ".txt": _text,
    ".md": _text,
    ".markdown": _text,
    ".docx": _docx,
    ".odt": _odt,
    ".pdf": _pdf,
    ".vtt": _vtt,
    ".srt": _srt,
}

SUPPORTED = ", ".join(sorted(REGISTRY))


def parser_for(path: Path) -> Parser:
    """The parser for ``path``'s suffix, or a ParseError naming the formats we read."""
    try:
        return REGISTRY[path.suffix.lower()]
    except KeyError:
        hint = " (save it as .docx)" if path.suffix.lower() in {".doc", ".rtf", ".pages"} else ""
        raise ParseError(
            f"unsupported file type {path.suffix or '(no extension)'!r}{hint}; fieldnotes imports {SUPPORTED}"
        ) from None


def parse(path: Path) -> ParsedDocument:
    return parser_for(path)(path)


__all__ = ["REGISTRY", "SUPPORTED", "ParseError", "ParsedDocument", "ParsedTurn", "parse", "parser_for"]
