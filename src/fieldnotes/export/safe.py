"""What every export needs to be safe to open and safe to write.

* :func:`neutralise` keeps a spreadsheet (Excel, LibreOffice, Google Sheets)
  from running a cell as a formula: CSV injection, OWASP's "formula injection".
* Writing a whole file or nothing, privately when it is sensitive, is
  :mod:`fieldnotes.output` (codebooks and project files need it too).
* :func:`escape_markdown` lets any text stand in Markdown as itself.
"""

from __future__ import annotations

import numbers
import re
from pathlib import Path
from typing import Any

from fieldnotes.errors import FieldnotesError

#: Characters that make a spreadsheet read a cell as a formula (OWASP): the
#: four formula prefixes, plus tab and carriage return, which some programs
#: skip before looking for them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A spreadsheet cell that cannot run as a formula.

    Text that begins with = + - @, a tab or a carriage return (also after
    leading spaces, which some spreadsheets skip) gets a leading apostrophe.
    Numbers, None and other non-text values come back unchanged.

    >>> neutralise('=HYPERLINK("http://x", "click")')
    '\\'=HYPERLINK("http://x", "click")'
    >>> neutralise("-5 visits"), neutralise(-5), neutralise("Caseload")
    ("'-5 visits", -5, 'Caseload')
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_TRIGGERS) or value.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def is_number(value: Any) -> bool:
    """True for ints and floats (and numpy's), False for bools and text."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def choose_format(path: str | Path, fmt: str | None, formats: dict[str, str], what: str) -> str:
    """The format to write: ``fmt`` when given, else from the file's
    extension, looked up in ``formats`` (extension -> format name)."""
    names = list(dict.fromkeys(formats.values()))
    if fmt:
        key = fmt.lower().lstrip(".")
        key = {"markdown": "md", "htm": "html"}.get(key, key)
        if key in names:
            return key
        raise FieldnotesError(f"Unknown {what} format '{fmt}'; use one of {', '.join(names)}.")
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise FieldnotesError(
            f"Cannot tell the format of '{Path(path).name}' from its extension; "
            f"end the file name with {', '.join('.' + n for n in names[:-1])} or .{names[-1]}.")
    return formats[suffix]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_MD_BLOCK_START = re.compile(r"^(\s*)(?:([#+\->=])|(\d+)([.)]))")


def escape_markdown(text: str, *, cell: bool = False) -> str:
    """``text`` as literal Markdown: emphasis, links, HTML tags and pipes are
    escaped, and a leading ``#``, ``-``, ``+``, ``>`` or ``1.`` cannot start a
    heading, list or quote. In a table ``cell`` (where those mean nothing),
    line breaks become ``<br>`` instead.

    >>> escape_markdown("<script>a|b</script>")
    '\\\\<script\\\\>a\\\\|b\\\\</script\\\\>'
    """
    text = _MD_SPECIAL.sub(r"\\\1", str(text))
    if cell:  # no headings or lists inside a table cell: only line breaks matter
        return "<br>".join(line.strip() for line in text.splitlines()) if "\n" in text or "\r" in text else text
    text = _MD_BLOCK_START.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)), text)
    return text
