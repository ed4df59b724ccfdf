"""Readers: files, folders, archives and SQLite projects -> pieces of text
with their locations, handed to a :class:`Sink` (the matchers).

What is read, and how a place in it is named (``path``, ``line``, ``column``),
is described in :mod:`fieldnotes.pseudonymise.leaks`.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import os
import posixpath
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol

from fieldnotes.importers.text import decode
from fieldnotes.pseudonymise.leaks.common import TextUnit


class Sink(Protocol):
    """Where readers send what they read."""

    def text(self, unit: TextUnit) -> None:
        """A piece of text (a file, a cell, a header, a file name)."""

    def raw(self, data: bytes, where: str, live: Callable[[], bytes]) -> None:
        """A file's raw bytes (SQLite files and their logs); ``live()`` is the
        text of every live row, lower-cased, so that what it explains is not
        reported again."""

    def loose(self, unit: TextUnit) -> None:
        """Text recovered from raw bytes that no live row explains (UTF-16
        runs in a SQLite file): for detection only, since the raw-byte
        search already looks for the known names in it."""



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


def _files(paths: Sequence[Path], problems: list[str]) -> Iterator[tuple[Path, str, bool, str]]:
    """(path, how to name it, raw bytes only?, its name below the folder
    given) for every file under ``paths``, each once."""
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
                        yield path, str(path), True, _relative_name(root, path)
                    continue
            yield path, str(path), False, _relative_name(root, path)


def _relative_name(root: Path, path: Path) -> str:
    """The part of a file's path that an export wrote: its name, and the
    folders below the one the researcher gave."""
    if root.is_dir():
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


# Separators in file names read as spaces ("Jodie_Mensah_interview.txt"), so
# that names in them are words; the length stays, so columns stay right.
_NAME_SEPARATORS = str.maketrans({"_": " ", "-": " ", ".": " ", "/": "/", "+": " ", "~": " "})


def file_name_unit(where: str, name: str) -> TextUnit:
    """A file's (or archive member's) name as a piece of text to check."""
    return TextUnit(f"{where}:file name", name.translate(_NAME_SEPARATORS))


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
    """A file's text as the importers read it (BOM, UTF-8, else cp1252),
    never failing, newlines as ``\\n``."""
    text = decode(data, lenient=True)[0]
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
    # openpyxl in read-only mode skips comments, headers and footers, and the
    # file's properties: read them from the package's XML.
    yield from _xlsx_extras(data, where)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xml(archive: zipfile.ZipFile, name: str):
    import defusedxml.ElementTree as SafeET

    return SafeET.fromstring(archive.read(name), forbid_dtd=True)


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, target part name)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in archive.namelist():
        return {}
    out = {}
    for rel in _xml(archive, rels):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), target)
    return out


# Codes in an Excel header or footer: &L &C &R (where), &"Font,Bold", &12
# (size), &P &N &D &T &F &A (fields), && (an ampersand).
_HEADER_CODES = re.compile(r'&(?:"[^"]*"|\d+|[A-Za-z]|&)')
_COMMENT_TEXT = frozenset({"t", "text"})


def _xlsx_extras(data: bytes, where: str) -> Iterator[TextUnit]:
    """Comments (legacy and threaded) with their authors, headers and
    footers of every sheet, and the document properties."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        sheets: dict[str, str] = {}  # sheet part -> title
        if "xl/workbook.xml" in names:
            rels = _rels(archive, "xl/workbook.xml")
            for element in _xml(archive, "xl/workbook.xml").iter():
                if _local(element.tag) == "sheet":
                    rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
                    if rid in rels:
                        sheets[rels[rid][1]] = element.get("name", "")
        owner: dict[str, str] = {}  # comments part -> sheet title
        for part, title in sheets.items():
            for kind, target in _rels(archive, part).values():
                if kind.endswith(("/comments", "/threadedComment")):
                    owner[target] = title
            if part not in names:
                continue
            lines = []
            for element in _xml(archive, part).iter():
                if _local(element.tag) in ("oddHeader", "oddFooter", "evenHeader", "evenFooter",
                                           "firstHeader", "firstFooter") and element.text:
                    lines.append(_HEADER_CODES.sub(lambda m: "&" if m.group() == "&&" else " ", element.text).strip())
            if lines:
                yield TextUnit(f"{where}:{title}:header and footer", "\n".join(lines))
        authors: list[str] = []
        for name in sorted(names):
            base = posixpath.basename(name).lower()
            if not name.endswith(".xml"):
                continue
            if (base.startswith("comment") and "/" in name) or name.startswith("xl/threadedComments/"):
                title = owner.get(name, "")
                for element in _xml(archive, name).iter():
                    tag = _local(element.tag)
                    if tag == "author" and element.text:
                        authors.append(element.text)
                    elif tag in ("comment", "threadedComment"):
                        text = "".join(
                            piece.text or "" for piece in element.iter() if _local(piece.tag) in _COMMENT_TEXT
                        )
                        ref = element.get("ref", "")
                        try:
                            letters, row = coordinate_from_string(ref)
                            line, column = row, column_index_from_string(letters)
                        except ValueError:
                            line, column = 1, 1
                        if text.strip():
                            label = f"{where}:{title}:comment {ref}" if title else f"{where}:comment {ref}"
                            yield TextUnit(label, text, line=line, column=column, fixed=True)
            elif name.startswith("xl/persons/"):
                authors += [e.get("displayName", "") for e in _xml(archive, name).iter() if _local(e.tag) == "person"]
        if authors:
            yield TextUnit(f"{where}:comment authors", "\n".join(dict.fromkeys(a for a in authors if a.strip())))
        yield from _package_properties(archive, names, where)


def _package_properties(archive: zipfile.ZipFile, names: set[str], where: str) -> Iterator[TextUnit]:
    """The text of an Office file's properties (author, title, company...)."""
    lines = []
    for part in ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml"):
        if part in names:
            for element in _xml(archive, part).iter():
                if element.text and element.text.strip() and len(element) == 0:
                    lines.append(f"{_local(element.tag)}: {element.text.strip()}")
    if lines:
        yield TextUnit(f"{where}:properties", "\n".join(lines))


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
    authors: list[str] = []
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
        # Who wrote a comment or a tracked change is a name too.
        authors.extend(v for e in element.iter() for k, v in e.attrib.items() if _local(k) in ("author", "initials"))
    for part in document.part.package.iter_parts():
        if part.content_type.endswith("people+xml"):
            element = parse_xml(part.blob)
            authors.extend(v for e in element.iter() for k, v in e.attrib.items() if _local(k) in ("author", "userId"))
    if authors:
        yield TextUnit(f"{where}:authors", "\n".join(dict.fromkeys(a for a in authors if a.strip())))
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
            if name.startswith("__MACOSX/") or Path(name).name in _JUNK_NAMES:
                continue
            member = f"{where}:{name}"
            sink.text(file_name_unit(member, name))
            if info.is_dir():
                continue
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
    # Not the query layer's business: this reads any SQLite file handed to the
    # leak check (a safe copy, someone else's export), whatever its schema,
    # read-only; it is a file reader like the DOCX and XLSX ones beside it.
    schema = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    for _, name, sql in schema:
        if sql:
            live.append(sql)
            yield TextUnit(f"{where}:sqlite_master.sql#{name}", sql, prose=False)
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
                elif isinstance(value, bytes) and value:
                    # A blob can hold text too, in UTF-8 or UTF-16.
                    for offset, text in binary_strings(value):
                        live.append(text)
                        yield TextUnit(f"{where}:{table}.{column}#{key}", text, line=0, column=offset + 1, fixed=True)


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
        # UTF-16 text that no live row holds (a deleted row of a UTF-16
        # database, a copy pasted in from Windows) goes to detection too.
        known = live_bytes()
        for offset, text in binary_strings(data, utf8=False):
            if text.encode("utf-8", "replace").lower() not in known:
                sink.loose(TextUnit(f"{where}{sidecar}", text, line=0, column=offset + 1, fixed=True))


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
    for path, where, raw_only, name in _files(paths, problems):
        sink.text(file_name_unit(where, name))
        if raw_only:
            _check_raw_file(path, where, sink, problems)
        else:
            _check_file(path, where, sink, problems)


# Runs of text inside binary data: at least four printable characters.
_UTF16LE_RUN = re.compile(rb"(?:[\x20-\x7e\xa0-\xff\t\n\r]\x00){4,}")
_UTF16BE_RUN = re.compile(rb"(?:\x00[\x20-\x7e\xa0-\xff\t\n\r]){4,}")
_UTF8_RUN = re.compile(rb"(?:[\x20-\x7e\t\n\r]|[\xc2-\xf4][\x80-\xbf]{1,3}){4,}")


def binary_strings(data: bytes, *, utf8: bool = True) -> list[tuple[int, str]]:
    """(byte offset, text) for every run of text in ``data``: UTF-16 (either
    byte order, Latin letters) and, with ``utf8``, UTF-8."""
    wide: list[tuple[int, int, str]] = []
    for pattern, encoding in ((_UTF16LE_RUN, "utf-16-le"), (_UTF16BE_RUN, "utf-16-be")):
        for m in pattern.finditer(data):
            text = m.group().decode(encoding, "replace")
            if sum(ch.isalpha() for ch in text) >= 3:
                wide.append((m.start(), m.end(), text))
    # Text in one byte order also reads, one byte off, as a shorter run in the
    # other: keep the longer of two that overlap.
    wide.sort(key=lambda run: (-(run[1] - run[0]), run[0]))
    runs: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for start, end, text in wide:
        if all(end <= a or b <= start for a, b in taken):
            taken.append((start, end))
            runs.append((start, text))
    if utf8:
        # UTF-16 text of Latin letters is also a run of single printable
        # bytes with zeros between: those are not UTF-8 runs.
        for m in _UTF8_RUN.finditer(data):
            text = m.group().decode("utf-8", "replace")
            if sum(ch.isalpha() for ch in text) >= 3:
                runs.append((m.start(), text))
    runs.sort()
    return runs
