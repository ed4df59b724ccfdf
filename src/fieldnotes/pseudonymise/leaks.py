"""The leak checker: look for real names and identifiers in files that are
about to leave the project.

:func:`check_leaks` reads text, Markdown, CSV, Excel, Word, HTML and JSON
files, zip archives of them, and fieldnotes projects (SQLite), and reports
every place where a surface form of a real entity appears:

* **exact**: the surface form as written, at word boundaries ("Jodie" in
  "Jodie's", not in "Jodies"); a number with other spacing or punctuation
  ("07700900418", "07700-900-418", "+44 7700 900418" for "07700 900418")
  counts as exact, because its digits are;
* **case-insensitive**: "JODIE", "jodie";
* **fuzzy**: a near spelling of a name of five letters or more ("Mensha",
  "Jodie Mensahh"), scored with rapidfuzz's ratio, where a swapped pair of
  neighbouring letters counts as one edit rather than two (plain ratio scores
  "Mensha"/"Mensah" at 83, below any useful threshold);
* **raw-bytes** (SQLite files only): a surface form found in the file's bytes,
  or its write-ahead log, but in no live row, as in a deleted row whose page
  was never vacuumed, or a full-text index that was not rebuilt.

Names that are also ordinary words ("Will", "May", "Grace") match only as
written, so "will" and "may" are not reported. Surface forms on the allowlist
(``ignore``) are not looked for, and a hit inside an allowlisted phrase is not
reported.

Example::

    leaks, problems = check_leaks(
        [Path("out/"), Path("safe.fnp")],
        {"Jodie": "Jodie Mensah", "Mensah": "Jodie Mensah", "07700 900418": "07700 900418"},
        ignore=["Ofsted"],
    )
    for leak in leaks:
        print(f"{leak.path}:{leak.line}:{leak.column} {leak.kind} {leak.found!r}")

Where a hit is reported (``path``, ``line``, ``column``):

* text, Markdown, JSON: the file; line and column in it (JSON ``\\u00e1``
  escapes are read as the letters they stand for);
* CSV: the file; line is the row, column the cell's column (1 = A);
* Excel: ``book.xlsx:Sheet1``; line is the row, column the cell's column;
  sheet names themselves are checked as ``book.xlsx:sheet names``;
* Word: ``report.docx`` for the body (paragraphs, tables, text boxes, tracked
  deletions), line being the paragraph; ``report.docx:header1``,
  ``:footer1``, ``:footnotes``, ``:comments`` and ``:properties`` (author,
  title...) for the rest;
* HTML: the file; line and column in the HTML source, so an editor can jump
  there (text is read with tags removed and entities unescaped; attribute
  values and comments are checked too);
* SQLite (.fnp, .db, .sqlite): ``study.fnp:table.column#rowid``; line within
  the value's text; raw-byte hits as ``study.fnp`` or ``study.fnp-wal`` with
  line 0 and the column set to the byte offset (1-based);
* zip archives: ``deposit.zip:folder/file.txt`` followed by the above.
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel, Levenshtein

from fieldnotes.pseudonymise.detect import name_context as _name_context
from fieldnotes.pseudonymise.names import is_ambiguous_name

__all__ = ["KINDS", "SUPPORTED_SUFFIXES", "Leak", "check_leaks"]


@dataclass(frozen=True, slots=True)
class Leak:
    """One place where a real name or identifier was found."""

    path: str  # the file scanned, or a locator inside it ("study.fnp:memos.text#3")
    line: int  # 1-based; the row for CSV and Excel; 0 for raw-byte hits
    column: int  # 1-based; the cell's column for CSV and Excel; the byte offset for raw-byte hits
    found: str  # the text found
    surface: str  # the entity surface form it matched
    entity: str  # the entity's label
    kind: str  # "exact" | "case-insensitive" | "fuzzy" | "raw-bytes"
    context: str  # about 60 characters around the hit, whitespace collapsed


#: Kinds of hit, strongest first. One place is reported once, as the strongest.
KINDS = ("exact", "case-insensitive", "fuzzy", "raw-bytes")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

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

# A surface starting (ending) with a letter or digit must not be glued to
# another: "Jodie" matches in "Jodie's" and "(Jodie)" but not in "Jodies". One
# assertion serves all forms. On the left it follows the first character:
# "not two word characters in a row" there means the form starts with a
# non-word character or nothing word-like comes before it.
_LEFT_AFTER_FIRST = r"(?<!\w\w)"
_RIGHT = r"(?:(?!\w)|(?<!\w))"
# What may sit between the characters of a number or code written another
# way: "07700 900418", "07700-900-418", "(07700) 900.418".
_SEPARATORS = r"[ \t\u00a0\-\u2010-\u2013./()]{0,3}"
_LETTERS = re.compile(r"[^\W\d_]+")
# The gap allowed between the words of a name matched fuzzily.
_NEXT_WORD = re.compile(r"[ \t\n\u00a0\-'\u2019.]{1,3}([^\W\d_]+)")
_GAP_CHARS = " \t\n\u00a0-'\u2019."
_DIGIT = re.compile(r"\d")
_FUZZY_FORM = re.compile(r"[^\W\d_]+(?:[\s'\-.]+[^\W\d_]+)*\.?")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]+")
_FUZZY_MIN_LETTERS = 5
_RAW_MIN_CHARS = 3
_CONTEXT = 30  # characters either side


def check_leaks(
    paths: Sequence[Path],
    surfaces: Mapping[str, str],
    *,
    fuzzy_threshold: float = 90.0,
    ignore: Iterable[str] = (),
) -> tuple[list[Leak], list[str]]:
    """Scan files and folders (recursively) for any surface form of a real entity.

    ``surfaces`` maps each surface form to its entity's label, e.g.
    ``{"Jodie": "Jodie Mensah", "Mensah": "Jodie Mensah", "07700 900418": "07700 900418"}``.
    ``fuzzy_threshold`` is the similarity (0-100) from which a near spelling
    counts; above 100 turns fuzzy matching off. ``ignore`` is the allowlist:
    words and phrases that are never leaks, compared without regard to case.

    Returns ``(leaks, problems)``: the hits, in file order, and one message per
    file that could not be read or is of a type the checker does not read
    (naming the file and the reason). A file in ``problems`` was not checked,
    so a caller should treat it as a failure too.
    """
    if not fuzzy_threshold > 0:
        raise ValueError(f"fuzzy_threshold must be above 0 (got {fuzzy_threshold}); use 90 for near spellings.")
    matcher = _Matcher(surfaces, fuzzy_threshold, ignore)
    leaks: list[Leak] = []
    problems: list[str] = []
    for path, where, raw_only in _files([Path(p) for p in paths], problems):
        if raw_only:
            _check_raw_file(path, where, matcher, leaks, problems)
        else:
            _check_file(path, where, matcher, leaks, problems)
    return leaks, problems


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


def _check_file(path: Path, where: str, matcher: _Matcher, leaks: list[Leak], problems: list[str]) -> None:
    suffix = path.suffix.lower()
    if suffix in _SQLITE_SUFFIXES:
        _check_sqlite(path, where, matcher, leaks, problems)
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
    _check_data(data, suffix, where, matcher, leaks, problems, depth=0)


def _check_data(data: bytes, suffix: str, where: str, matcher: _Matcher, leaks: list[Leak],
                problems: list[str], depth: int) -> None:
    """Check a file's bytes; a SQLite file inside an archive goes through a
    temporary copy."""
    if suffix in _ZIP_SUFFIXES:
        _check_zip(data, where, matcher, leaks, problems, depth)
        return
    if suffix in _SQLITE_SUFFIXES:
        with tempfile.TemporaryDirectory(prefix="fieldnotes-leaks-") as tmp:
            copy = Path(tmp) / f"member{suffix}"
            copy.write_bytes(data)
            _check_sqlite(copy, where, matcher, leaks, problems)
        return
    reader = _READERS.get(suffix)
    if reader is None:
        problems.append(_unsupported(where, suffix))
        return
    try:
        for unit in reader(data, where):
            leaks.extend(matcher.scan(unit))
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


@dataclass(slots=True)
class _Text:
    """A piece of text to search and how to locate a hit in it."""

    where: str
    text: str
    line: int = 1  # line of text[0]
    column: int = 1  # column of text[0]
    fixed: bool = False  # a cell: every hit is reported at (line, column)
    locate: Callable[[int], tuple[int, int]] | None = None  # offset -> (line, column)


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


def _read_text(data: bytes, where: str) -> Iterator[_Text]:
    yield _Text(where, _decode(data))


def _read_json(data: bytes, where: str) -> Iterator[_Text]:
    # Escapes never span lines, so line numbers stay those of the file.
    yield _Text(where, _json_unescape(_decode(data)))


def _read_csv(data: bytes, where: str) -> Iterator[_Text]:
    text = _decode(data)
    if where.lower().endswith(".tsv"):
        dialect: type[csv.Dialect] | csv.Dialect = csv.excel_tab
    else:
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
    cells: list[_Text] = []
    try:
        for row_number, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
            for column, cell in enumerate(row, start=1):
                if cell.strip():
                    cells.append(_Text(where, cell, line=row_number, column=column, fixed=True))
    except csv.Error:
        # Not readable as a table (a huge cell, a stray NUL): search it as
        # plain text rather than leave it unchecked.
        yield _Text(where, text)
        return
    yield from cells


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed as a number: 7700900418.0
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes, where: str) -> Iterator[_Text]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        yield _Text(f"{where}:sheet names", "\n".join(sheet.title for sheet in book.worksheets))
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
                        yield _Text(f"{where}:{sheet.title}", text, line=cell.row, column=cell.column, fixed=True)
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


def _read_docx(data: bytes, where: str) -> Iterator[_Text]:
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
        yield _Text(label, "\n".join(lines))
    props = document.core_properties
    fields = ("author", "last_modified_by", "title", "subject", "keywords", "comments", "category",
              "content_status", "identifier")
    lines = [f"{name}: {getattr(props, name)}" for name in fields if getattr(props, name, None)]
    if lines:
        yield _Text(f"{where}:properties", "\n".join(lines))


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


def _read_html(data: bytes, where: str) -> Iterator[_Text]:
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

    yield _Text(where, text, locate=locate)
    for value, line, column in parser.attributes:
        yield _Text(where, value, line=line, column=column, fixed=True)


_READERS: dict[str, Callable[[bytes, str], Iterator[_Text]]] = {
    **{suffix: _read_text for suffix in _TEXT_SUFFIXES},
    **{suffix: _read_json for suffix in _JSON_SUFFIXES},
    **{suffix: _read_csv for suffix in _CSV_SUFFIXES},
    **{suffix: _read_xlsx for suffix in _XLSX_SUFFIXES},
    **{suffix: _read_docx for suffix in _DOCX_SUFFIXES},
    **{suffix: _read_html for suffix in _HTML_SUFFIXES},
}


def _check_zip(data: bytes, where: str, matcher: _Matcher, leaks: list[Leak], problems: list[str],
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
            _check_data(content, suffix, member, matcher, leaks, problems, depth + 1)


# --- SQLite files (fieldnotes projects) ---------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_texts(conn: sqlite3.Connection, where: str, live: list[str]) -> Iterator[_Text]:
    """Every text value of every table (and the schema), each as a piece;
    the values as stored are added to ``live``."""
    schema = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    for _, name, sql in schema:
        if sql:
            live.append(sql)
            yield _Text(f"{where}:sqlite_master.sql#{name}", sql)
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
                    yield _Text(f"{where}:{table}.{column}#{key}", _json_unescape(value))


def _check_sqlite(path: Path, where: str, matcher: _Matcher, leaks: list[Leak], problems: list[str]) -> None:
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
                leaks.extend(matcher.scan(unit))
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
        leaks.extend(matcher.scan_raw(data, f"{where}{sidecar}", live_bytes))


def _check_raw_file(path: Path, where: str, matcher: _Matcher, leaks: list[Leak], problems: list[str]) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(f"{where}: could not be read ({exc.strerror or exc}).")
        return
    leaks.extend(matcher.scan_raw(data, where, lambda: b""))


# --- matching -------------------------------------------------------------------------


def _norm(surface: str) -> str:
    return " ".join(surface.replace("\u2019", "'").split())


def _chars(surface: str) -> str:
    return "".join(ch for ch in surface if ch.isalnum())


def _emit_text(ch: str) -> str:
    if ch == " ":
        return r"\s+"
    if ch == "'":
        return "['\u2019]"
    return re.escape(ch)


def _trie(words: Iterable[str], emit: Callable[[str], str] = re.escape, joiner: str = "", after_first: str = "") -> str:
    """One regex for many words, built as a trie so that hundreds of forms
    cost one pass; longer forms are tried first ("Jodie Mensah" before
    "Jodie"). ``joiner`` goes between characters (separators in numbers);
    ``after_first`` follows the first character (the left word boundary, put
    there so that the regex engine can skip ahead to possible first
    characters)."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def alternatives(node: dict, top: bool) -> str:
        branches = []
        for ch in sorted(k for k in node if k):
            child = node[ch]
            branch = emit(ch) + (after_first if top else "")
            if any(k for k in child):
                rest = joiner + alternatives(child, False)
                branch += f"(?:{rest})?" if "" in child else rest
            branches.append(branch)
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return alternatives(root, True) if root else "(?!)"


class _Pattern:
    """Many lower-cased forms, searched in lower-cased text.

    Searching ``text.lower()`` with a case-sensitive pattern lets the regex
    engine skip to possible first letters, several times faster than
    ``re.IGNORECASE``; the rare text whose length changes when lower-cased
    ("İ") is searched with ``re.IGNORECASE`` instead.
    """

    def __init__(self, forms: Iterable[str], emit: Callable[[str], str] = re.escape, joiner: str = "") -> None:
        self.source = source = _trie(sorted(forms), emit, joiner, _LEFT_AFTER_FIRST) + _RIGHT
        self.lowered = re.compile(source)
        self._folded: re.Pattern | None = None

    def finditer(self, text: str, lowered: str) -> Iterator[re.Match]:
        if len(lowered) == len(text):
            return self.lowered.finditer(lowered)
        if self._folded is None:
            self._folded = re.compile(self.source, re.IGNORECASE)
        return self._folded.finditer(text)


def _similarity(a: str, b: str) -> float:
    """rapidfuzz's ratio, counting a swap of neighbouring letters as one edit."""
    score = fuzz.ratio(a, b)
    if score < 100 and len(a) == len(b) and OSA.distance(a, b) == 1 and Levenshtein.distance(a, b) == 2:
        score = max(score, 100.0 * (1 - 1 / (len(a) + len(b))))
    return score


@dataclass(slots=True)
class _Target:
    """A name looked for fuzzily: its words, lower-cased."""

    surface: str
    words: tuple[str, ...]
    parts: tuple[int, ...]  # indexes of its words in _Matcher.parts
    anchor: int  # its longest word: the one looked up first
    joined: str
    budget: int  # the most insertions and deletions the whole name may differ by


_Hit = tuple[int, int, str, str]  # (start, end, surface, kind)


class _Matcher:
    """Every surface form compiled once into a few patterns."""

    def __init__(self, surfaces: Mapping[str, str], threshold: float, ignore: Iterable[str]) -> None:
        self.threshold = threshold
        allowed = {_norm(word) for word in ignore if word and word.strip()}
        self.allowed_folded = {word.casefold() for word in allowed}
        self.allow_rx = _Pattern({w.lower() for w in allowed}, _emit_text) if allowed else None
        self.labels: dict[str, str] = {}  # normalised surface -> entity label
        self.original: dict[str, str] = {}  # normalised surface -> as given
        for surface, label in surfaces.items():
            form = _norm(str(surface))
            if form and form.casefold() not in self.allowed_folded and form not in self.labels:
                self.labels[form] = label
                self.original[form] = str(surface)
        forms = list(self.labels)

        # exact and case-insensitive, in one pass
        self.by_lower: dict[str, list[str]] = {}
        for form in forms:
            self.by_lower.setdefault(form.lower(), []).append(form)
        # Names that are everyday words ("Will", "May") count only as written.
        self.as_written_only = {form for form in forms if " " not in form and is_ambiguous_name(form)}
        self.word_rx = _Pattern(self.by_lower, _emit_text) if forms else None

        # numbers and codes written with other spacing or punctuation
        self.codes: dict[str, str] = {}  # letters and digits, lower-cased -> surface
        for form in forms:
            key = _chars(form).lower()
            if len(key) < 6 or not any(ch.isdigit() for ch in key):
                continue
            self.codes.setdefault(key, form)
            if key.isdigit() and key.startswith("0") and len(key) in (10, 11):
                # a UK number without its trunk 0, or in international form
                for variant in (key[1:], "44" + key[1:], "440" + key[1:]):
                    self.codes.setdefault(variant, form)
        self.code_rx = _Pattern(self.codes, joiner=_SEPARATORS) if self.codes else None

        # fuzzy: names of five letters or more, one to three words
        self.targets: list[_Target] = []
        self.parts: list[str] = []
        part_index: dict[str, int] = {}
        self.anchored: dict[int, list[int]] = {}  # part -> targets whose longest word it is
        if threshold <= 100:
            t = threshold / 100
            for form in forms:
                if form in self.as_written_only or not _FUZZY_FORM.fullmatch(form):
                    continue
                words = tuple(w.lower() for w in _LETTERS.findall(form))
                if not 1 <= len(words) <= 3 or sum(map(len, words)) < _FUZZY_MIN_LETTERS:
                    continue
                joined = " ".join(words)
                # ratio >= t leaves room for at most 2(1-t)L/t insertions and deletions
                budget = int(2 * (1 - t) * len(joined) / t + 1e-9)
                if 100 * (1 - 1 / (2 * len(joined))) >= threshold:
                    budget = max(budget, 2)  # one swap of neighbouring letters
                if budget == 0:
                    continue
                parts = tuple(part_index.setdefault(w, len(part_index)) for w in words)
                anchor = max(range(len(words)), key=lambda i: (len(words[i]), i))
                self.anchored.setdefault(parts[anchor], []).append(len(self.targets))
                self.targets.append(_Target(form, words, parts, anchor, joined, budget))
            self.parts = list(part_index)
        self.max_budget = max((target.budget for target in self.targets), default=0)
        self.anchor_budget = {  # part -> the largest budget of the names it anchors
            part: max(self.targets[i].budget for i in indexes) for part, indexes in self.anchored.items()
        }
        lengths = [len(p) for p in self.parts]
        self.word_lengths = (min(lengths, default=0) - self.max_budget, max(lengths, default=0) + self.max_budget)
        self.near: dict[str, dict[int, int]] = {}  # word -> {part: insertions and deletions}; kept across files

        # raw bytes of SQLite files
        self.raw_forms: dict[bytes, str] = {}  # lower-cased (ASCII letters only, as bytes.lower does)
        for form in forms:
            variants = {form}
            key = _chars(form)
            if key.isdigit() and key.lower() in self.codes:
                variants.add(key)
            for variant in variants:
                if len(variant) >= _RAW_MIN_CHARS:
                    self.raw_forms.setdefault(variant.encode("utf-8").lower(), form)
        self.raw_rx = (
            re.compile(_trie(key.decode("utf-8") for key in self.raw_forms).encode("utf-8"))
            if self.raw_forms else None
        )

    # -- one piece of text -------------------------------------------------------------

    def scan(self, unit: _Text) -> list[Leak]:
        text = unit.text
        if self.word_rx is None or not text.strip():
            return []
        lowered = text.lower()
        hits: list[_Hit] = []
        for m in self.word_rx.finditer(text, lowered):
            found = _norm(text[m.start():m.end()])
            if found in self.labels:
                # A name that is also an ordinary word counts only where the
                # words around it read as a name ("Mark my words" is not Mark).
                if found in self.as_written_only and not _name_context(text, m.start(), m.end()):
                    continue
                hits.append((m.start(), m.end(), found, "exact"))
                continue
            forms = [f for f in self.by_lower.get(found.lower(), ()) if f not in self.as_written_only]
            if forms:
                hits.append((m.start(), m.end(), forms[0], "case-insensitive"))
        if self.code_rx is not None and _DIGIT.search(text):
            for m in self.code_rx.finditer(text, lowered):
                found = text[m.start():m.end()]
                form = self.codes.get(_chars(found).lower())
                if form is not None:
                    # The same digits (or letters in the same case), however spaced.
                    chars = _chars(found)
                    kind = "exact" if chars.isdigit() or chars == _chars(form) else "case-insensitive"
                    hits.append((m.start(), m.end(), form, kind))
        if self.targets:
            hits.extend(self._fuzzy(text, lowered))
        if not hits:
            return []
        hits = self._strongest(hits)
        if self.allow_rx is not None:
            allowed = [(m.start(), m.end()) for m in self.allow_rx.finditer(text, lowered)]
            if allowed:
                hits = [h for h in hits if not any(a <= h[0] and h[1] <= b for a, b in allowed)]
        place = _Places(unit)
        return [
            Leak(unit.where, *place(start), text[start:end], self.original[surface], self.labels[surface], kind,
                 _context(text, start, end))
            for start, end, surface, kind in hits
        ]

    @staticmethod
    def _strongest(hits: list[_Hit]) -> list[_Hit]:
        """Each place once: the strongest kind, then the longest, in text order."""
        hits.sort(key=lambda h: (_RANK[h[3]], h[0] - h[1], h[0]))
        starts: list[int] = []
        kept: list[_Hit] = []
        for hit in hits:
            i = bisect.bisect_right(starts, hit[0])
            if (i and kept[i - 1][1] > hit[0]) or (i < len(kept) and kept[i][0] < hit[1]):
                continue
            starts.insert(i, hit[0])
            kept.insert(i, hit)
        return kept

    def _near(self, word: str) -> dict[int, int]:
        """The words of fuzzy targets within budget of ``word`` (cached)."""
        near = self.near.get(word)
        if near is None:
            low, high = self.word_lengths
            near = {}
            if low <= len(word) <= high:
                for _, distance, index in process.extract(
                    word, self.parts, scorer=Indel.distance, score_cutoff=self.max_budget, limit=None
                ):
                    near[index] = int(distance)
            self.near[word] = near
        return near

    def _fuzzy(self, text: str, lowered: str) -> list[_Hit]:
        # Each distinct word of the text is compared once (the cache spans
        # files); then only the places of words near a name's longest word
        # are visited, and the name's other words are read around them.
        budgets = self.anchor_budget
        anchors = [
            word for word in set(_LETTERS.findall(lowered))
            if any(distance <= budgets.get(part, -1) for part, distance in self._near(word).items())
        ]
        if not anchors:
            return []
        pattern = re.compile(
            r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, sorted(anchors, key=len, reverse=True))) + r")(?![^\W\d_])"
        )
        if len(lowered) != len(text):
            pattern = re.compile(pattern.pattern, re.IGNORECASE)
            lowered = text
        hits: list[_Hit] = []
        for m in pattern.finditer(lowered):
            word = m.group().lower()
            for part, distance in self._near(word).items():
                for t_index in self.anchored.get(part, ()):
                    target = self.targets[t_index]
                    if distance == 0 and len(target.words) == 1:
                        continue  # the name itself: the exact pass reports it
                    hit = self._around(text, m, word, distance, target)
                    if hit is not None:
                        hits.append(hit)
        return hits

    def _around(self, text: str, m: re.Match, word: str, distance: int, target: _Target) -> _Hit | None:
        """The name ``target`` read around its longest word ``m``, if close enough."""
        if distance > target.budget:
            return None
        words = [word]
        start, end = m.start(), m.end()
        for want in reversed(target.parts[: target.anchor]):
            before = _previous_word(text, start)
            if before is None:
                return None
            previous = text[before:start].rstrip(_GAP_CHARS).lower()
            distance += self._near(previous).get(want, target.budget + 1)
            if distance > target.budget:
                return None
            words.insert(0, previous)
            start = before
        for want in target.parts[target.anchor + 1:]:
            after = _NEXT_WORD.match(text, end)
            if after is None:
                return None
            following = after.group(1).lower()
            distance += self._near(following).get(want, target.budget + 1)
            if distance > target.budget:
                return None
            words.append(following)
            end = after.end()
        found = " ".join(words)
        if found.casefold() in self.allowed_folded or _similarity(found, target.joined) < self.threshold:
            return None
        return start, end, target.surface, "fuzzy"

    # -- raw bytes of a SQLite file ----------------------------------------------------

    def scan_raw(self, data: bytes, where: str, live: Callable[[], bytes]) -> list[Leak]:
        """Surface forms in the bytes of a file that no live row explains
        (deleted rows, stale index pages): the first place of each."""
        if self.raw_rx is None or not data:
            return []
        lowered = data.lower()  # ASCII letters only, so offsets stay those of ``data``
        first: dict[bytes, int] = {}
        for m in self.raw_rx.finditer(lowered):
            first.setdefault(m.group(), m.start())
        if not first:
            return []
        known = live()
        leaks = []
        for key, offset in sorted(first.items(), key=lambda item: item[1]):
            if key in known:
                continue
            form = self.raw_forms[key]
            found = data[offset: offset + len(key)].decode("utf-8", "replace")
            around = data[max(0, offset - _CONTEXT): offset + len(key) + _CONTEXT].decode("utf-8", "replace")
            context = " ".join(_CONTROL.sub(" ", around).split())
            leaks.append(
                Leak(where, 0, offset + 1, found, self.original[form], self.labels[form], "raw-bytes", context)
            )
        return leaks


def _previous_word(text: str, end: int) -> int | None:
    """Where the word before the gap that ends at ``end`` starts (the gap
    being what :data:`_NEXT_WORD` allows), or None."""
    gap = end
    while gap > 0 and end - gap < 3 and text[gap - 1] in _GAP_CHARS:
        gap -= 1
    if gap == end:
        return None
    start = gap
    while start > 0 and gap - start < 64 and text[start - 1].isalpha():
        start -= 1
    return start if start < gap else None


class _Places:
    """Offsets in a piece of text -> (line, column) as reported."""

    def __init__(self, unit: _Text) -> None:
        self.unit = unit
        self.newlines: list[int] | None = None

    def __call__(self, offset: int) -> tuple[int, int]:
        unit = self.unit
        if unit.fixed:
            return unit.line, unit.column
        if unit.locate is not None:
            return unit.locate(offset)
        if self.newlines is None:
            self.newlines = [m.start() for m in re.finditer("\n", unit.text)]
        before = bisect.bisect_left(self.newlines, offset)
        if before == 0:
            return unit.line, unit.column + offset
        return unit.line + before, offset - self.newlines[before - 1]


def _context(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - _CONTEXT): end + _CONTEXT].split())
