"""Manifests: a CSV or XLSX sheet saying who is who.

One row per file. A column headed ``file``, ``filename`` or ``document`` names
the file; ``kind`` sets the document kind; ``case`` or ``cases`` lists the
cases (separated by ``;`` or ``|``); every other column becomes a typed
attribute (integer, number, date or text, inferred from its values).

In a document of several cases (a joint interview, a focus group) each case
can name its speaker label, so each turn goes to its speaker's case:
``EH02=DC Hale; EH03=Grace`` in the cases column, or a ``speaker`` column
listing the labels in the order of the cases (``DC Hale; Grace``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.model import KINDS

FILE_COLUMNS = ("file", "filename", "file_name", "document")
CASE_COLUMNS = ("case", "cases")
SPEAKER_COLUMNS = ("speaker", "speakers")


@dataclass(slots=True)
class ManifestRow:
    line: int
    file: str
    kind: str | None
    cases: list[str]
    attributes: dict[str, Any]
    speakers: dict[str, str] = field(default_factory=dict)
    """Case -> the speaker label whose turns are that case's words."""


@dataclass(slots=True)
class Manifest:
    path: Path
    rows: dict[str, ManifestRow]
    types: dict[str, str] = field(default_factory=dict)

    def lookup(self, path: Path, root: Path | None = None) -> ManifestRow | None:
        """The row for ``path``, matched by relative path or by file name."""
        keys = [path.name.casefold()]
        if root is not None:
            try:
                keys.insert(0, path.relative_to(root).as_posix().casefold())
            except ValueError:
                pass
        for key in keys:
            if key in self.rows:
                return self.rows[key]
        return None


_INT = re.compile(r"^[+-]?\d+$")
_NUM = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _as_date(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if _ISO.match(text):
            return dt.date.fromisoformat(text).isoformat()
        m = _UK.match(text)
        if m:  # UK order: day/month/year
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
    except ValueError:
        return None
    return None


def infer_type(values: list[Any]) -> str:
    """The narrowest type that holds every value: integer, number, date or text."""
    present = [v for v in values if v is not None and str(v).strip() != ""]
    if not present:
        return "text"

    def is_int(v: Any) -> bool:
        if isinstance(v, bool):
            return False
        if isinstance(v, int):
            return True
        if isinstance(v, float):
            return v.is_integer()
        return bool(_INT.match(str(v).strip()))

    if all(is_int(v) for v in present):
        return "integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) or _NUM.match(str(v).strip()) for v in present):
        return "number"
    if all(_as_date(v) is not None for v in present):
        return "date"
    return "text"


def coerce(value: Any, type_: str) -> Any:
    """Convert a cell to the Python value stored for ``type_``."""
    if value is None or str(value).strip() == "":
        return None
    if type_ == "integer":
        return int(float(value)) if isinstance(value, float) else int(str(value).strip())
    if type_ == "number":
        return float(value) if not isinstance(value, str) else float(value.strip())
    if type_ == "date":
        return _as_date(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return _as_date(value)
    return str(value).strip()


def _read_csv(path: Path) -> list[list[Any]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FieldnotesError(f"Cannot read the manifest {path}: {exc.strerror}.") from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise FieldnotesError(f"The manifest {path} is not UTF-8 text; save it as CSV UTF-8.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(text.splitlines(), dialect)]


def _read_xlsx(path: Path) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    from fieldnotes.importers.archive import check_archive
    from fieldnotes.importers.base import ParseError

    try:
        check_archive(path, "a workbook")
    except ParseError as exc:
        raise FieldnotesError(f"The manifest {path} {exc}.") from None
    try:
        workbook = load_workbook(str(path), read_only=True, data_only=True)
        formulas = load_workbook(str(path), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise FieldnotesError(f"The manifest {path} is not a readable .xlsx workbook ({exc}).") from None
    try:
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        # A formula keeps its result only if a spreadsheet program saved the
        # file; one written by a script (openpyxl, pandas) has none, and
        # reading only values would drop the cell without a word.
        unsaved: list[tuple[str, str]] = []
        for r, row in enumerate(formulas.worksheets[0].iter_rows()):
            for c, cell in enumerate(row):
                value = getattr(cell, "value", None)
                is_formula = getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("="))
                if not is_formula:
                    continue
                cached = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
                if cached is None:
                    unsaved.append((cell.coordinate, str(value)[:40]))
        if unsaved:
            # A formula whose saved result is an empty string also reads as
            # None; the cell's type (t="str") tells them apart.
            empty = _empty_string_results(path, getattr(sheet, "_worksheet_path", None))
            unsaved = [(where, formula) for where, formula in unsaved if where not in empty]
    except (KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile) as exc:
        raise FieldnotesError(f"The manifest {path} is not a readable .xlsx workbook ({exc}).") from None
    finally:
        workbook.close()
        formulas.close()
    if unsaved:
        shown = [f"{where} ({formula})" for where, formula in unsaved[:5]]
        listed = ", ".join(shown) + (f" and {len(unsaved) - 5} more" if len(unsaved) > 5 else "")
        raise FieldnotesError(
            f"The manifest {path} has formula cells with no saved value: {listed}. Open it in Excel or "
            "LibreOffice and save it (which stores the values), or type the values in, then import again."
        )
    return rows


def _empty_string_results(path: Path, sheet_path: str | None) -> set[str]:
    """Cells of the sheet at ``sheet_path`` in the workbook whose formula has
    a saved result that is an empty string (``<c t="str"><f>…</f><v/></c>``)."""
    import zipfile

    import defusedxml.ElementTree as SafeET

    if not sheet_path:
        return set()
    found: set[str] = set()
    with zipfile.ZipFile(path) as archive, archive.open(sheet_path.lstrip("/")) as handle:
        for _event, element in SafeET.iterparse(handle, forbid_dtd=True, forbid_entities=True):
            if element.tag.rsplit("}", 1)[-1] == "c":
                has_formula = any(child.tag.rsplit("}", 1)[-1] == "f" for child in element)
                if has_formula and element.get("t") == "str":
                    found.add(element.get("r") or "")
                element.clear()
    return found


def column_letter(i: int) -> str:
    """A spreadsheet column letter for the 0-based index ``i`` (0 -> A, 26 -> AA)."""
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _speakers(cases: list[str], speaker_cell: Any) -> tuple[list[str], dict[str, str], str | None]:
    """Split ``CASE=Speaker`` entries of a cases cell, or pair a speaker
    column's labels with the cases in order. Returns the case names, case ->
    speaker label, and a problem to report (or None)."""
    names: list[str] = []
    speakers: dict[str, str] = {}
    for entry in cases:
        if not entry:
            continue
        name, sep, label = entry.partition("=")
        name, label = name.strip(), label.strip()
        if sep and (not name or not label):
            return names, speakers, f"'{entry}' should read CASE=Speaker label (for example EH02=DC Hale)"
        names.append(name)
        if label:
            speakers[name] = label
    if speaker_cell not in (None, ""):
        labels = [s.strip() for s in re.split(r"[;|]", str(speaker_cell)) if s.strip()]
        if speakers:
            return names, speakers, "name the speakers either in the cases column (CASE=Speaker) or in the " \
                                    "speaker column, not both"
        if len(labels) != len(names):
            return names, speakers, (f"the speaker column lists {len(labels)} label(s) for {len(names)} case(s); "
                                     "give one label per case, in the same order")
        speakers = dict(zip(names, labels))
    return names, speakers, None


def read_manifest(path: Path) -> Manifest:
    """Read and check a manifest; every problem is reported with its line."""
    numbers, table = _read_rows(path)
    header = [str(c).strip() if c is not None else "" for c in table[0]]
    columns = _Columns.of(path, header)
    body = table[1:]
    types = {columns.names[i]: infer_type([_cell(r, i) for r in body]) for i in columns.attributes}
    problems = _stray_values(header, numbers[1:], body)
    rows: dict[str, ManifestRow] = {}
    for number, row in zip(numbers[1:], body):
        read = _read_row(number, row, columns, types, problems)
        if read is None:
            continue
        key = read.file.casefold()
        if key in rows:
            problems.append(f"line {number}: '{read.file}' is listed twice (first on line {rows[key].line})")
            continue
        rows[key] = read
    if problems:
        listed = "; ".join(problems[:10]) + ("; ..." if len(problems) > 10 else "")
        raise FieldnotesError(f"The manifest {path} has problems: {listed}. Fix them and import again.")
    return Manifest(path=path, rows=rows, types=types)


def _read_rows(path: Path) -> tuple[list[int], list[list[Any]]]:
    """The non-blank rows of the file and the line number of each."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt"}:
        table = _read_csv(path)
    elif suffix in {".xlsx", ".xlsm"}:
        table = _read_xlsx(path)
    else:
        raise FieldnotesError(f"The manifest {path} must be a .csv or .xlsx file.")
    # Blank rows are passed over, but every row keeps its line number.
    numbers = [n for n, r in enumerate(table, start=1) if any(c is not None and str(c).strip() for c in r)]
    table = [table[n - 1] for n in numbers]
    if not table:
        raise FieldnotesError(f"The manifest {path} is empty; it needs a header row and one row per file.")
    return numbers, table


def _cell(row: list[Any], i: int | None) -> Any:
    return row[i] if i is not None and i < len(row) else None


@dataclass(frozen=True)
class _Columns:
    """Which column holds what."""

    file: int
    kind: int | None
    case: int | None
    speaker: int | None
    attributes: list[int]
    names: dict[int, str]          # attribute column -> attribute name

    @classmethod
    def of(cls, path: Path, header: list[str]) -> _Columns:
        lowered = [h.casefold().replace(" ", "_") for h in header]
        _refuse_clashes(path, header, lowered)
        try:
            file_col = next(i for i, h in enumerate(lowered) if h in FILE_COLUMNS)
        except StopIteration:
            raise FieldnotesError(
                f"The manifest {path} has no column headed 'file', 'filename' or 'document' "
                f"(its columns are: {', '.join(h for h in header if h) or 'none'})."
            ) from None
        kind_col = lowered.index("kind") if "kind" in lowered else None
        case_col = next((i for i, h in enumerate(lowered) if h in CASE_COLUMNS), None)
        speaker_col = next((i for i, h in enumerate(lowered) if h in SPEAKER_COLUMNS), None)
        attr_cols = [i for i, h in enumerate(header) if h and i not in {file_col, kind_col, case_col, speaker_col}]
        return cls(file_col, kind_col, case_col, speaker_col, attr_cols, {i: lowered[i] for i in attr_cols})


def _refuse_clashes(path: Path, header: list[str], lowered: list[str]) -> None:
    """Attribute names ignore case and spaces ("Years qualified" is
    years_qualified), so "Role", "role" and "ROLE" would name one attribute
    and all but the last column would be lost. Which one the researcher
    meant cannot be guessed: say so instead."""
    seen: dict[str, int] = {}
    clashes: list[str] = []
    for i, h in enumerate(lowered):
        if not h:
            continue
        if h in seen:
            clashes.append(f"'{header[seen[h]]}' (column {column_letter(seen[h])}) and '{header[i]}' (column {column_letter(i)})")
        else:
            seen[h] = i
    if clashes:
        raise FieldnotesError(
            f"The manifest {path} has columns that name the same attribute: {'; '.join(clashes[:5])}. "
            "Column names ignore case and spaces; rename or merge them, then import again."
        )


def _stray_values(header: list[str], numbers: list[int], body: list[list[Any]]) -> list[str]:
    """A value under no heading would belong to no attribute: refused rather
    than dropped."""
    problems = []
    for number, row in zip(numbers, body):
        stray = [(i, c) for i, c in enumerate(row) if (i >= len(header) or not header[i])
                 and c is not None and str(c).strip()]
        if stray:
            i, value = stray[0]
            problems.append(f"line {number}: the value '{str(value).strip()[:40]}' in column {column_letter(i)} has no "
                            "column heading (give the column a heading, or remove the value)")
    return problems


def _read_row(number: int, row: list[Any], columns: _Columns, types: dict[str, str],
              problems: list[str]) -> ManifestRow | None:
    """One file's row; its problems are added to ``problems``."""
    file = _cell(row, columns.file)
    if file is None or not str(file).strip():
        problems.append(f"line {number}: no file name")
        return None
    file = str(file).strip().replace("\\", "/")
    kind = _cell(row, columns.kind)
    kind = str(kind).strip().lower().replace(" ", "_").replace("-", "_") if kind not in (None, "") else None
    if kind is not None and kind not in KINDS:
        from rapidfuzz import process

        best = process.extractOne(kind, KINDS)
        hint = f" Did you mean '{best[0]}'?" if best and best[1] >= 60 else ""
        problems.append(f"line {number}: kind '{kind}' is not one of {', '.join(KINDS)}.{hint}")
    cases_cell = _cell(row, columns.case)
    cases = [c.strip() for c in re.split(r"[;|]", str(cases_cell))] if cases_cell not in (None, "") else []
    cases, speakers, problem = _speakers(cases, _cell(row, columns.speaker))
    if problem:
        problems.append(f"line {number}: {problem}")
    attributes = {}
    for i in columns.attributes:
        value = coerce(_cell(row, i), types[columns.names[i]])
        if value is not None:
            attributes[columns.names[i]] = value
    return ManifestRow(number, file, kind, [c for c in cases if c], attributes, speakers)


_MANIFEST_OPTION = re.compile(r"(?:^|\s)--manifest(?:=|\s+|$)")


def parse_import_request(text: str) -> tuple[Path, Path | None]:
    """What to import and its manifest, typed on one line as the workspace
    asks for them: ``PATH`` or ``PATH --manifest FILE`` (or ``--manifest=FILE``).

    A path may hold spaces ("Phase 2 transcripts") and may be quoted; ``~``
    is the home folder. One line for each mistake, saying what to type."""
    parts = _MANIFEST_OPTION.split(text.strip())
    if len(parts) > 2:
        raise FieldnotesError("Give --manifest once, for example: transcripts/ --manifest participants.csv")
    path = _unquote(parts[0])
    manifest = _unquote(parts[1]) if len(parts) == 2 else None
    if not path:
        raise FieldnotesError("Name the file or folder to import first, for example: "
                              "transcripts/ --manifest participants.csv")
    if manifest == "":
        raise FieldnotesError("Name the manifest after --manifest, for example: transcripts/ --manifest participants.csv")
    return Path(path).expanduser(), Path(manifest).expanduser() if manifest else None


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].strip()
    return value
