"""The leak checker: look for real names and identifiers in files that are
about to leave the project.

:func:`scan` reads text, Markdown, CSV, Excel, Word, HTML and JSON files,
zip archives of them, fieldnotes projects (SQLite), and the names of all those
files, and reports two things:

* **leaks**: every place where a surface form of an entity the project knows
  appears (the rest of this note);
* **possible identifiers**: what detection (spaCy NER, rules, the first-name
  gazetteer) finds in the files themselves that is not a pseudonym, so that a
  name the project never detected is not missed (:mod:`.possible`).

:func:`check_leaks` is the first half alone. A known form counts as found when
it appears:

* **exact**: the surface form as written, at word boundaries ("Jodie" in
  "Jodie's", not in "Jodies"); a number with other spacing or punctuation
  ("07700900418", "07700-900-418", "+44 7700 900418" for "07700 900418")
  counts as exact, because its digits are;
* **case-insensitive**: "JODIE", "jodie";
* **fuzzy**: a near spelling of a name of five letters or more ("Mensha",
  "Jodie Mensahh"), scored with rapidfuzz's ratio, where a swapped pair of
  neighbouring letters counts as one edit rather than two (plain ratio scores
  "Mensha"/"Mensah" at 83, below any useful threshold);
* **raw-bytes** (SQLite files only): a surface form found in the file's bytes
  (as UTF-8 or UTF-16), or its write-ahead log, but in no live row, as in a
  deleted row whose page was never vacuumed, or a full-text index that was
  not rebuilt.

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
  sheet names themselves are checked as ``book.xlsx:sheet names``; a cell
  comment as ``book.xlsx:Sheet1:comment B3`` (row and column of its cell),
  their authors as ``:comment authors``, headers and footers as
  ``book.xlsx:Sheet1:header and footer``, and ``:properties``;
* Word: ``report.docx`` for the body (paragraphs, tables, text boxes, tracked
  deletions), line being the paragraph; ``report.docx:header1``,
  ``:footer1``, ``:footnotes``, ``:comments``, ``:authors`` (of comments and
  tracked changes) and ``:properties`` (author, title...) for the rest;
* HTML: the file; line and column in the HTML source, so an editor can jump
  there (text is read with tags removed and entities unescaped; attribute
  values and comments are checked too);
* SQLite (.fnp, .db, .sqlite): ``study.fnp:table.column#rowid``; line within
  the value's text (text in a blob: line 0, column its byte offset); raw-byte
  hits as ``study.fnp`` or ``study.fnp-wal`` with line 0 and the column set to
  the byte offset (1-based);
* zip archives: ``deposit.zip:folder/file.txt`` followed by the above;
* file names: ``out/Jodie_Mensah.txt:file name`` (and
  ``deposit.zip:folder/file.txt:file name``), column within the name below
  the folder given ("_", "-" and "." read as spaces).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fieldnotes.pseudonymise.leaks.common import KINDS, Leak, Possible, TextUnit
from fieldnotes.pseudonymise.leaks.matcher import Matcher
from fieldnotes.pseudonymise.leaks.readers import SUPPORTED_SUFFIXES, check_paths

__all__ = ["KINDS", "SUPPORTED_SUFFIXES", "Leak", "LeakReport", "Possible", "check_leaks", "check_outputs", "scan"]


class _MatchSink:
    """Every piece of text through the matcher (known names) and, when
    given, into the finder of possible identifiers."""

    def __init__(self, matcher: Matcher, finder=None) -> None:
        self.matcher = matcher
        self.finder = finder
        self.leaks: list[Leak] = []

    def text(self, unit: TextUnit) -> None:
        self.leaks.extend(self.matcher.scan(unit))
        if self.finder is not None:
            self.finder.add(unit)

    def raw(self, data: bytes, where: str, live) -> None:
        self.leaks.extend(self.matcher.scan_raw(data, where, live))

    def loose(self, unit: TextUnit) -> None:
        if self.finder is not None:
            self.finder.add(unit)


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


@dataclass(slots=True)
class LeakReport:
    """What :func:`scan` found."""

    leaks: list[Leak] = field(default_factory=list)  # known names, every place
    possible: list[Possible] = field(default_factory=list)  # detected, not in the project; grouped
    problems: list[str] = field(default_factory=list)  # files (or parts) not checked, one line each
    detected: bool = False  # whether detection ran (possible identifiers were looked for)

    @property
    def exit_code(self) -> int:
        """0 clean; 1 a known name found, or a file that could not be checked;
        3 only possible identifiers."""
        if self.leaks or self.problems:
            return 1
        return 3 if self.possible else 0


def scan(
    paths: Sequence[Path],
    surfaces: Mapping[str, str],
    *,
    nlp=None,
    detect: bool = True,
    pseudonyms: Iterable[str] = (),
    exclude: Iterable[str] = (),
    ignore: Iterable[str] = (),
    fuzzy_threshold: float = 90.0,
    reference_patterns: Sequence[str] = (),
) -> LeakReport:
    """The whole leak check: every known surface form (as :func:`check_leaks`)
    and, with ``detect``, every possible identifier that detection finds in
    the files and that is not a pseudonym (see :mod:`.possible`).

    ``nlp`` is a loaded spaCy pipeline (None: rules and the first-name
    gazetteer only); ``pseudonyms`` the project's replacements (tags and
    surrogate names), never reported; ``exclude`` forms the researcher has
    decided on (rejected entities, the known names already matched), never
    listed as possible; ``ignore`` the allowlist, never either.

    Example::

        report = scan([Path("out/")], {"Jodie": "Jodie Mensah"}, nlp=nlp,
                      pseudonyms=["[Person 1]"], ignore=["Ofsted"])
        for item in report.possible:
            print(item.path, item.line, item.text, item.count)
    """
    if not fuzzy_threshold > 0:
        raise ValueError(f"fuzzy_threshold must be above 0 (got {fuzzy_threshold}); use 90 for near spellings.")
    ignore = [word for word in ignore if word and word.strip()]
    finder = None
    if detect:
        from fieldnotes.pseudonymise.leaks.possible import PossibleFinder

        finder = PossibleFinder(nlp, pseudonyms=pseudonyms, exclude=[*surfaces, *exclude, *ignore],
                                reference_patterns=reference_patterns)
    sink = _MatchSink(Matcher(surfaces, fuzzy_threshold, ignore), finder)
    report = LeakReport(detected=detect)
    check_paths([Path(p) for p in paths], sink, report.problems)
    report.leaks = sink.leaks
    if finder is not None:
        report.possible = finder.finish()
    return report


def check_outputs(
    project,
    paths: Sequence[Path],
    *,
    include_suggested: bool = False,
    fuzzy_threshold: float = 90.0,
    detect: bool = True,
    pipeline: str | None = None,
    nlp=None,
) -> tuple[LeakReport, str]:
    """:func:`scan` files written from ``project`` (a :class:`~fieldnotes.project.Project`):
    its accepted entities (and suggested ones with ``include_suggested``) are
    the known names; its replacements the pseudonyms; its allowlist and
    rejected entities other than people are never listed as possible
    identifiers (a rejected person is: the riskiest decision to get wrong).

    The spaCy pipeline is ``nlp``, else the one named (``pipeline``, else
    ``spacy_model`` in the config file or project settings, else the default);
    without one, detection runs on rules and the gazetteer. Returns the
    report and a sentence saying which pipeline ran."""
    import json

    statuses = ("accepted", "suggested") if include_suggested else ("accepted",)
    surfaces = project.pseudonyms.leak_surfaces(statuses)
    message = ""
    if detect and nlp is None:
        from fieldnotes.config import load_config
        from fieldnotes.pseudonymise.detect import load_pipeline

        nlp, message = load_pipeline(pipeline or load_config().get("spacy_model") or project.setting("spacy_model"))
    elif detect:
        message = f"Using the given pipeline {nlp.meta.get('name', '')}."
    report = scan(
        paths,
        surfaces,
        nlp=nlp,
        detect=detect,
        pseudonyms=project.pseudonyms.replacements().values(),
        # A rejected place or organisation stays out of the list; a rejected
        # person does not: that decision is the one most worth a second look
        # (a word that is no name at all belongs on the allowlist instead).
        exclude=[surface for entity in project.pseudonyms.entities(status="rejected") if entity.category != "PERSON"
                 for surface in entity.surfaces],
        ignore=project.pseudonyms.allowlist(),
        fuzzy_threshold=fuzzy_threshold,
        reference_patterns=json.loads(project.setting("reference_patterns", "[]") or "[]"),
    )
    return report, message
