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

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from fieldnotes.pseudonymise.leaks.common import KINDS, Leak, Possible, TextUnit
from fieldnotes.pseudonymise.leaks.matcher import Matcher
from fieldnotes.pseudonymise.leaks.readers import SUPPORTED_SUFFIXES, check_paths

__all__ = ["KINDS", "SUPPORTED_SUFFIXES", "Leak", "Possible", "check_leaks"]


class _MatchSink:
    """Known names only: every piece of text through the matcher."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.leaks: list[Leak] = []

    def text(self, unit: TextUnit) -> None:
        self.leaks.extend(self.matcher.scan(unit))

    def raw(self, data: bytes, where: str, live) -> None:
        self.leaks.extend(self.matcher.scan_raw(data, where, live))


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
    sink = _MatchSink(Matcher(surfaces, fuzzy_threshold, ignore))
    problems: list[str] = []
    check_paths([Path(p) for p in paths], sink, problems)
    return sink.leaks, problems
