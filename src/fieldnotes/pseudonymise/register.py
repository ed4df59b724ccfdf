"""The participant register: the researcher's own list of who is who.

A CSV file with a header line and the columns

``real_name`` (or ``name``)
    the name as it should be recognised, e.g. ``Jodie Mensah``;
``variants`` (optional)
    other spellings and nicknames, separated by ``;`` or ``|``
    (``Jodi; jodie; Mrs Mensah``);
``category`` (optional, default PERSON)
    one of :data:`fieldnotes.pseudonymise.categories.CATEGORIES`;
``pseudonym`` (optional)
    the replacement the researcher wants, e.g. ``Sophie`` or ``[Social worker 2]``.

Every name and variant of an entry is found wherever it occurs and all of them
form one entity.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from fieldnotes.errors import FieldnotesError
from fieldnotes.pseudonymise.categories import CATEGORIES


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    name: str
    variants: tuple[str, ...]
    category: str
    pseudonym: str | None

    @property
    def forms(self) -> tuple[str, ...]:
        """The name followed by its variants, without duplicates."""
        seen: dict[str, str] = {}
        for form in (self.name, *self.variants):
            seen.setdefault(form.casefold(), form)
        return tuple(seen.values())


_SPLIT = re.compile(r"\s*[;|]\s*")
_CATEGORY_ALIASES = {
    "NAME": "PERSON", "PEOPLE": "PERSON", "TOWN": "PLACE", "LOCATION": "PLACE",
    "ORGANISATION": "ORG", "ORGANIZATION": "ORG", "SCHOOL": "ORG", "NHS": "NHS_NUMBER",
    "NI": "NI_NUMBER", "REF": "REFERENCE",
}


def read_register(path: Path) -> list[RegisterEntry]:
    """Read a register CSV (UTF-8, with or without BOM).

    Raises :class:`~fieldnotes.errors.FieldnotesError` naming the file and the
    line when a row cannot be used.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FieldnotesError(f"{path}: register file not found") from None
    except UnicodeDecodeError:
        raise FieldnotesError(f"{path}: the register is not UTF-8 text; save it as CSV UTF-8 and try again") from None
    except OSError as exc:
        raise FieldnotesError(f"{path}: cannot read the register ({exc.strerror or exc})") from None
    try:
        dialect = csv.Sniffer().sniff(raw[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(raw.splitlines(), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise FieldnotesError(f"{path}: the register is empty; it needs a header line with real_name, variants, category, pseudonym") from None
    columns = {h.strip().lower().replace(" ", "_"): i for i, h in enumerate(header)}
    name_col = columns.get("real_name", columns.get("name"))
    if name_col is None:
        raise FieldnotesError(
            f"{path}, line 1: no real_name (or name) column; the header has {', '.join(h.strip() for h in header) or 'nothing'}"
        )
    var_col = columns.get("variants")
    cat_col = columns.get("category")
    pse_col = columns.get("pseudonym")

    def cell(row: list[str], col: int | None) -> str:
        return row[col].strip() if col is not None and col < len(row) else ""

    entries: list[RegisterEntry] = []
    for line_no, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        name = cell(row, name_col)
        if not name:
            raise FieldnotesError(f"{path}, line {line_no}: the real_name cell is empty")
        category = cell(row, cat_col).upper().replace(" ", "_") or "PERSON"
        category = _CATEGORY_ALIASES.get(category, category)
        if category not in CATEGORIES:
            raise FieldnotesError(
                f"{path}, line {line_no}: unknown category {cell(row, cat_col)!r}; use one of {', '.join(CATEGORIES)}"
            )
        variants = tuple(v for v in _SPLIT.split(cell(row, var_col)) if v and v.casefold() != name.casefold())
        entries.append(RegisterEntry(name=name, variants=variants, category=category, pseudonym=cell(row, pse_col) or None))
    return entries
