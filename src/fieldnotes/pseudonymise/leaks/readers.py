"""Readers: files, folders, archives and SQLite projects -> pieces of text
with their locations, handed to a :class:`Sink` (the matchers).

What is read, and how a place in it is named (``path``, ``line``, ``column``),
is described in :mod:`fieldnotes.pseudonymise.leaks`.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import io
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol

from fieldnotes.pseudonymise.leaks.common import TextUnit


class Sink(Protocol):
    """Where readers send what they read."""

    def text(self, unit: TextUnit) -> None:
        """A piece of text (a file, a cell, a header, a file name)."""

    def raw(self, data: bytes, where: str, live: Callable[[], bytes]) -> None:
        """A file's raw bytes (SQLite files and their logs); ``live()`` is the
        text of every live row, lower-cased, so that what it explains is not
        reported again."""



_TEXT_SUFFIXES = frozenset(
    {".txt", ".text", ".md", ".markdown", ".vtt", ".srt", ".yaml", ".yml", ".xml", ".qdc", ".qde", ".tex"}
)
_JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
_CSV_SUFFIXES = frozenset({".csv", ".tsv"})
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_DOCX_SUFFIXES = frozenset({".docx", ".docm"})
_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
_SQLITE_SUFFIXES = frozenset({".fnp", ".db", ".sqlite", ".sqlite3"})
_ZIP_SUFFIXES = frozenset({".zip", ".qdpx"})
SUPPORTED_SUFFIXES = frozenset().union(
    _TEXT_SUFFIXES, _JSON_SUFFIXES, _CSV_SUFFIXES, _XLSX_SUFFIXES, _DOCX_SUFFIXES, _HTML_SUFFIXES,
    _SQLITE_SUFFIXES, _ZIP_SUFFIXES,
)
# Operating-system litter that a folder scan passes over without a word.
_JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
# SQLite's companion files: the log and journal hold row data (searched as raw
# bytes with their database); the shared-memory index holds none.
_SQLITE_SIDECARS = ("-wal", "-journal", "-shm")
# FTS shadow tables that hold index structures, not text; "<fts>_content"
# (the text of an FTS table without external content) is read like any table.
_FTS_INTERNAL = frozenset({"data", "idx", "docsize", "config", "segments", "segdir", "stat"})
_MAX_MEMBER_BYTES = 1 << 30  # a zip member larger than 1 GiB is reported, not read
_MAX_ZIP_DEPTH = 3
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?")


# --- finding the files --------------------------------------------------------------


def _files(paths: Sequence[Path], problems: list[str]) -> Iterator[tuple[Path, str, bool]]:
    """(path, how to name it, raw bytes only?) for every file under ``paths``,
    each once."""
    seen: set[Path] = set()
    for root in paths:
        if root.is_dir():
            candidates = sorted(
                Path(folder) / name for folder, _, names in os.walk(root) for name in names if name not in _JUNK_NAMES
            )
        elif root.exists():
            candidates = [root]
        else:
            problems.append(f"{root}: no such file or folder; check the path.")
            continue
        for path in candidates:
            key = path.resolve()
            if key in seen:
                continue
            seen.add(key)
            sidecar = next((s for s in _SQLITE_SIDECARS if path.name.endswith(s)), None)
            if sidecar:
                database = path.with_name(path.name[: -len(sidecar)])
                if database.suffix.lower() in _SQLITE_SUFFIXES:
                    # Searched with its database; on its own, only its bytes can be.
                    if sidecar != "-shm" and not database.exists():
                        yield path, str(path), True
                    continue
            yield path, str(path), False


def _check_file(path: Path, where: str, sink: Sink, problems: list[str]) -> None:
    suffix = path.suffix.lower()
    if suffix in _SQLITE_SUFFIXES:
        _check_sqlite(path, where, sink, problems)
        return
    if suffix not in SUPPORTED_SUFFIXES:
        problems.append(_unsupported(where, suffix))
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(
            f"{where}: could not be read ({exc.strerror or exc}); check that it exists and you may read it."
        )
        return
    _check_data(data, suffix, where, sink, problems, depth=0)


def _check_data(data: bytes, suffix: str, where: str, sink: Sink, problems: list[str], depth: int) -> None:
    """Check a file's bytes; a SQLite file inside an archive goes through a
    temporary copy."""
    if suffix in _ZIP_SUFFIXES:
        _check_zip(data, where, sink, problems, depth)
        return
    if suffix in _SQLITE_SUFFIXES:
        with tempfile.TemporaryDirectory(prefix="fieldnotes-leaks-") as tmp:
            copy = Path(tmp) / f"member{suffix}"
            copy.write_bytes(data)
            _check_sqlite(copy, where, sink, problems)
        return
    reader = _READERS.get(suffix)
    if reader is None:
        problems.append(_unsupported(where, suffix))
        return
    try:
        for unit in reader(data, where):
            sink.text(unit)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a problem to report, never a crash
        problems.append(_unreadable(where, suffix, exc))


def _unsupported(where: str, suffix: str) -> str:
    kind = f"{suffix} files" if suffix else "files without an extension"
    return (f"{where}: not checked: the leak checker cannot read {kind}; convert it to text, .docx or .xlsx "
            "and check that, or check it by hand.")


def _unreadable(where: str, suffix: str, exc: Exception) -> str:
    what = {
        ".docx": "a Word document", ".docm": "a Word document", ".xlsx": "an Excel workbook",
        ".xlsm": "an Excel workbook", ".zip": "a zip archive", ".qdpx": "a zip archive",
    }.get(suffix, "a " + suffix.lstrip(".") + " file" if suffix else "a file")
    reason = str(exc) or exc.__class__.__name__
    return (f"{where}: not checked: could not be read as {what} ({reason}); check that it opens, "
            "save it again and re-run the check.")


# --- readers: a file's bytes -> pieces of text with their locations ----------------


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", "replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", "replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _json_unescape(text: str) -> str:
    """``Siobh\\u00e1n`` -> ``Siobhán``: names in JSON written with
    ``ensure_ascii`` are still found."""
    if "\\u" not in text:
        return text

    def char(m: re.Match) -> str:
        high = int(m.group(1), 16)
        if m.group(2) and 0xD800 <= high <= 0xDBFF:
            low = int(m.group(2), 16)
            return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        return chr(high) + (chr(int(m.group(2), 16)) if m.group(2) else "")

    return _JSON_ESCAPE.sub(char, text)


def _read_text(data: bytes, where: str) -> Iterator[TextUnit]:
    yield TextUnit(where, _decode(data))


def _read_json(data: bytes, where: str) -> Iterator[TextUnit]:
    # Escapes never span lines, so line numbers stay those of the file.
    yield TextUnit(where, _json_unescape(_decode(data)))


def _read_csv(data: bytes, where: str) -> Iterator[TextUnit]:
    text = _decode(data)
    if where.lower().endswith(".tsv"):
        dialect: type[csv.Dialect] | csv.Dialect = csv.excel_tab
    else:
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
    cells: list[TextUnit] = []
    try:
        for row_number, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
            for column, cell in enumerate(row, start=1):
                if cell.strip():
                    cells.append(TextUnit(where, cell, line=row_number, column=column, fixed=True))
    except csv.Error:
        # Not readable as a table (a huge cell, a stray NUL): search it as
        # plain text rather than leave it unchecked.
        yield TextUnit(where, text)
        return
    yield from cells


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed as a number: 7700900418.0
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes, where: str) -> Iterator[TextUnit]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        yield TextUnit(f"{where}:sheet names", "\n".join(sheet.title for sheet in book.worksheets))
        for sheet in book.worksheets:
            # A workbook written by another tool may declare a wrong size;
            # read-only mode trusts it unless told not to.
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()
            for row in sheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if value is None or isinstance(value, bool):
                        continue
                    text = _cell_text(value)
                    if text.strip():
                        yield TextUnit(f"{where}:{sheet.title}", text, line=cell.row, column=cell.column, fixed=True)
    finally:
        book.close()


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Parts of a Word package that hold text, by the end of their content type.
_DOCX_PARTS = ("main+xml", "header+xml", "footer+xml", "footnotes+xml", "endnotes+xml", "comments+xml")


def _paragraph_text(paragraph) -> str:
    """The text of a ``w:p``, including tracked deletions and field codes
    (set apart by spaces), without the paragraphs nested in its text boxes,
    which are read on their own."""
    out: list[str] = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):  # an XML comment or processing instruction
                continue
            if tag == _W + "t":
                out.append(child.text or "")
            elif tag in (_W + "delText", _W + "instrText"):
                out.append(f" {child.text or ''} ")
            elif tag == _W + "tab":
                out.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                out.append("\n")
            elif tag == _W + "noBreakHyphen":
                out.append("-")
            elif tag in (_W + "p", _W + "txbxContent", _W + "pPr", _W + "rPr", _MC_FALLBACK):
                continue
            else:
                walk(child)

    walk(paragraph)
    return "".join(out)


def _read_docx(data: bytes, where: str) -> Iterator[TextUnit]:
    import docx
    from docx.oxml.parser import parse_xml

    document = docx.Document(io.BytesIO(data))
    parts = []
    for part in document.part.package.iter_parts():
        ending = part.content_type.rsplit(".", 1)[-1]
        if ending in _DOCX_PARTS:
            parts.append((ending != "main+xml", str(part.partname), part))
    for not_body, partname, part in sorted(parts, key=lambda p: (p[0], p[1])):
        element = getattr(part, "element", None)
        if element is None:
            element = parse_xml(part.blob)
        lines = [
            _paragraph_text(p)
            for p in element.iter(_W + "p")
            # A text box is stored twice (modern and fallback drawing): read it once.
            if not any(a.tag == _MC_FALLBACK for a in p.iterancestors())
        ]
        label = where if not not_body else f"{where}:{Path(partname).stem}"
        yield TextUnit(label, "\n".join(lines))
    props = document.core_properties
    fields = ("author", "last_modified_by", "title", "subject", "keywords", "comments", "category",
              "content_status", "identifier")
    lines = [f"{name}: {getattr(props, name)}" for name in fields if getattr(props, name, None)]
    if lines:
        yield TextUnit(f"{where}:properties", "\n".join(lines))


# Tags whose text runs on into the next: "<b>Jo</b>die" reads as "Jodie".
_INLINE_TAGS = frozenset(
    "a abbr b bdi bdo cite code data dfn em font i kbd mark q s samp small span strong sub sup time tt u var wbr"
    .split()
)


class _HTMLText(HTMLParser):
    """Text content with tags removed and entities unescaped, remembering
    where in the source each run of text began."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.marks: list[tuple[int, int, int]] = []  # (offset in text, source line, source column 0-based)
        self.attributes: list[tuple[str, int, int]] = []  # (value, line, column 1-based)

    def _add(self, text: str, shift: int = 0) -> None:
        line, column = self.getpos()
        self.marks.append((self.size, line, column + shift))
        self.parts.append(text)
        self.size += len(text)

    def _break(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")
            self.size += 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _INLINE_TAGS:
            self._break()
        line, column = self.getpos()
        self.attributes.extend((value, line, column + 1) for _, value in attrs if value and value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag not in _INLINE_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        self._add(data)

    def handle_comment(self, data: str) -> None:
        self._break()
        self._add(data, shift=4)  # after "<!--"
        self._break()


def _read_html(data: bytes, where: str) -> Iterator[TextUnit]:
    parser = _HTMLText()
    parser.feed(_decode(data))
    parser.close()
    text = "".join(parser.parts)
    offsets = [mark[0] for mark in parser.marks]

    def locate(offset: int) -> tuple[int, int]:
        index = max(bisect.bisect_right(offsets, offset) - 1, 0)
        start, line, column = parser.marks[index]
        newlines = text.count("\n", start, offset)
        if newlines:
            return line + newlines, offset - text.rfind("\n", start, offset)
        return line, column + offset - start + 1

    yield TextUnit(where, text, locate=locate)
    for value, line, column in parser.attributes:
        yield TextUnit(where, value, line=line, column=column, fixed=True)


_READERS: dict[str, Callable[[bytes, str], Iterator[TextUnit]]] = {
    **{suffix: _read_text for suffix in _TEXT_SUFFIXES},
    **{suffix: _read_json for suffix in _JSON_SUFFIXES},
    **{suffix: _read_csv for suffix in _CSV_SUFFIXES},
    **{suffix: _read_xlsx for suffix in _XLSX_SUFFIXES},
    **{suffix: _read_docx for suffix in _DOCX_SUFFIXES},
    **{suffix: _read_html for suffix in _HTML_SUFFIXES},
}


def _check_zip(data: bytes, where: str, sink: Sink, problems: list[str],
               depth: int) -> None:
    if depth >= _MAX_ZIP_DEPTH:
        problems.append(
            f"{where}: not checked: archives nested more than {_MAX_ZIP_DEPTH} deep; unpack it and check the folder."
        )
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - reported, never a crash
        problems.append(_unreadable(where, ".zip", exc))
        return
    with archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or name.startswith("__MACOSX/") or Path(name).name in _JUNK_NAMES:
                continue
            member = f"{where}:{name}"
            suffix = Path(name).suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES:
                problems.append(_unsupported(member, suffix))
                continue
            if info.file_size > _MAX_MEMBER_BYTES:
                problems.append(
                    f"{member}: not checked: larger than 1 GiB unpacked; unpack the archive and check the file."
                )
                continue
            try:
                content = archive.read(info)
            except Exception as exc:  # noqa: BLE001 - encrypted, damaged, unknown compression
                problems.append(_unreadable(member, ".zip", exc))
                continue
            _check_data(content, suffix, member, sink, problems, depth + 1)


# --- SQLite files (fieldnotes projects) ---------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_texts(conn: sqlite3.Connection, where: str, live: list[str]) -> Iterator[TextUnit]:
    """Every text value of every table (and the schema), each as a piece;
    the values as stored are added to ``live``."""
    schema = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    for _, name, sql in schema:
        if sql:
            live.append(sql)
            yield TextUnit(f"{where}:sqlite_master.sql#{name}", sql)
    virtual = {
        name for kind, name, sql in schema
        if kind == "table" and (sql or "").lstrip().upper().startswith("CREATE VIRTUAL")
    }
    for kind, table, _ in schema:
        if kind != "table" or table in virtual or table.startswith("sqlite_"):
            continue
        if any(table.startswith(v + "_") and table[len(v) + 1:] in _FTS_INTERNAL for v in virtual):
            continue  # index structures; the raw-byte search still covers them
        info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        columns = [row[1] for row in info]
        try:
            cursor = conn.execute(f"SELECT rowid, * FROM {_quote(table)}")
            keyed = None
        except sqlite3.OperationalError:  # WITHOUT ROWID: locate rows by primary key
            cursor = conn.execute(f"SELECT * FROM {_quote(table)}")
            keyed = [columns.index(row[1]) for row in sorted(info, key=lambda r: r[5]) if row[5]]
        for row in cursor:
            if keyed is None:
                key, values = str(row[0]), row[1:]
            else:
                key, values = ",".join(str(row[i]) for i in keyed), row
            for column, value in zip(columns, values):
                if isinstance(value, str) and value.strip():
                    live.append(value)
                    yield TextUnit(f"{where}:{table}.{column}#{key}", _json_unescape(value))


def _check_sqlite(path: Path, where: str, sink: Sink, problems: list[str]) -> None:
    live: list[str] = []
    try:
        # Read-only: checking a project must never change it. Without a log or
        # journal beside it, the file alone is the whole database: open it as
        # immutable, so SQLite does not leave empty -wal and -shm files behind.
        pending = any(Path(f"{path}{sidecar}").exists() for sidecar in ("-wal", "-journal"))
        mode = "mode=ro" if pending else "mode=ro&immutable=1"
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
        try:
            conn.execute("PRAGMA query_only = ON")
            # Text that is not valid UTF-8 is still searched, not a reason to stop.
            conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
            for unit in _sqlite_texts(conn, where, live):
                sink.text(unit)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        problems.append(
            f"{where}: its tables could not be read as a SQLite database ({exc}); only its raw bytes were "
            "searched. Check that it is a fieldnotes project and opens with 'fieldnotes info'."
        )

    blob: list[bytes] = []

    def live_bytes() -> bytes:
        if not blob:
            blob.append(b"\x00".join(text.encode("utf-8", "replace") for text in live).lower())
        return blob[0]

    for sidecar in ("", "-wal", "-journal"):
        part = Path(f"{path}{sidecar}")
        if sidecar and not part.exists():
            continue
        try:
            data = part.read_bytes()
        except OSError as exc:
            problems.append(f"{where}{sidecar}: could not be read ({exc.strerror or exc}).")
            continue
        sink.raw(data, f"{where}{sidecar}", live_bytes)


def _check_raw_file(path: Path, where: str, sink: Sink, problems: list[str]) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(f"{where}: could not be read ({exc.strerror or exc}).")
        return
    sink.raw(data, where, lambda: b"")



def check_paths(paths: Sequence[Path], sink: Sink, problems: list[str]) -> None:
    """Read every file under ``paths`` into ``sink``; what cannot be read
    goes to ``problems``, one line each."""
    for path, where, raw_only in _files(paths, problems):
        if raw_only:
            _check_raw_file(path, where, sink, problems)
        else:
            _check_file(path, where, sink, problems)
