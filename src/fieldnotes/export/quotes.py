"""Quotes for report writing: coded passages grouped by theme (a top-level
code) and sub-theme (each code below it), each with its attribution, document
and phase, written as a Word appendix (.docx), Markdown, self-contained HTML or
CSV.

Every text comes through a view of the project
(:mod:`fieldnotes.pseudonymise.view`): by default the pseudonymised one, so a
quote's text is its passage in the pseudonymised document (the coding's range
mapped onto it) and the attribution, speaker, document name, phase and code
names are scrubbed. ``view=project.pseudonyms.original_view()`` gives the original words;
the caller (the CLI's ``--original``) warns about it.

>>> groups = quotes(project, codes=["Caseload and time"])       # doctest: +SKIP
>>> write_quotes(groups, Path("appendix.docx"), title="Quotes")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldnotes.export.safe import choose_format, escape_markdown, neutralise
from fieldnotes.output import write_atomically

FORMATS = {".docx": "docx", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".csv": "csv"}
CSV_HEADER = ("theme", "sub-theme", "quote", "attribution", "document", "phase", "speaker", "note")


@dataclass(frozen=True, slots=True)
class QuotePart:
    """One speaker's words within a quote (a quote that spans turns has one
    part per speaker, each attributed), or one researcher's note."""

    text: str
    attribution: str
    speaker: str | None
    note: bool = False


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    """The passage, whitespace collapsed (pseudonymised unless asked otherwise)."""
    attribution: str
    """From the project's attribution template: "SW CP, 5 years qualified"."""
    document: str
    speaker: str | None
    phase: str | None
    code: str
    """The path of the code the passage is coded with."""
    start: int
    end: int
    """The passage's range in the original text (for going back to it)."""
    coder: str | None = None
    parts: tuple[QuotePart, ...] = ()
    """The quote turn by turn; ``text`` and ``attribution`` are for a quote
    of one part."""

    @property
    def note(self) -> bool:
        """The researcher's note (an observation), not a participant's words."""
        return bool(self.parts) and all(p.note for p in self.parts)

    def shown_parts(self) -> tuple[QuotePart, ...]:
        return self.parts or (QuotePart(self.text, self.attribution, self.speaker),)


@dataclass(frozen=True, slots=True)
class QuoteGroup:
    """The quotes of one code. Groups come in code-tree order: a theme's own
    passages (``subtheme`` None) first, then each code below it."""

    theme: str
    """The top-level code's name."""
    subtheme: str | None
    """The code's path below the theme ("Caseload", "Caseload / Overtime"), or
    None for passages coded with the theme itself."""
    code: str
    """The code's full path."""
    quotes: list[Quote] = field(default_factory=list)


def quotes(project: Any, *, codes: Sequence[str] | None = None, where: Sequence[tuple[str, str]] = (),
           coder: str | None = None, pseudonymised: bool = True, phase_attribute: str = "phase",
           notes: str = "include", view: Any = None) -> list[QuoteGroup]:
    """The coded passages of ``codes`` (names or paths; each with its
    sub-codes; default every code), grouped by theme and sub-theme in the
    order of the code tree, filtered by document attribute (``where``,
    e.g. ``[("phase", "2")]``) and by coder.

    A passage coded with the same code on the same words by two coders is
    quoted once. Groups without passages are left out. A passage that spans
    speaker turns is quoted turn by turn, each part attributed to its speaker;
    no part starts with a speaker label or time code. The researcher's notes
    (observation notes) are attributed as notes; ``notes`` includes them
    (default), excludes them or keeps ``only`` them.

    ``view`` is the view every text comes through (default: the
    pseudonymised view, or the original with ``pseudonymised=False``).
    """
    if view is None:
        view = project.pseudonyms.pseudonymised_view() if pseudonymised else project.pseudonyms.original_view()
    all_codes = project.codebook.codes(counts=False)
    if codes:
        chosen = [project.codebook.find_code(all_codes, name) for name in codes]
    else:
        chosen = [c for c in all_codes if c.parent_id is None]
    subtrees = {c.id: project.codebook.subtree(c, codes=all_codes) for c in chosen}
    # The widest codes only: a sub-code of another chosen code comes with it.
    below = {c.id for members in subtrees.values() for c in members[1:]}
    roots = [members[0].path for members in subtrees.values() if members[0].id not in below]
    selected = {c.path for members in subtrees.values() for c in members}

    scrub = view.scrub
    by_code: dict[str, list[Any]] = {}
    for root in roots:
        # Attribution values are pseudonymised inside passages(), value by value.
        for passage in project.coding.passages(root, include_children=True, where=where, coder=coder, notes=notes,
                                        scrub=scrub if view.pseudonymised else None):
            if passage.code in selected:
                by_code.setdefault(passage.code, []).append(passage)

    groups = []
    for code in all_codes:
        found = by_code.get(code.path)
        if not found:
            continue
        path_parts = [scrub(part) for part in code.path.split("/")]
        seen: set[tuple[str, int, int]] = set()
        items = []
        for passage in found:
            key = (passage.document, passage.start, passage.end)
            if key in seen:
                continue
            seen.add(key)
            items.append(_quote(passage, view, phase_attribute, "/".join(path_parts)))
        groups.append(QuoteGroup(path_parts[0], " / ".join(path_parts[1:]) or None, "/".join(path_parts), items))
    return groups


def _quote(passage: Any, view: Any, phase_attribute: str, code: str) -> Quote:
    """One passage as a quote, through ``view``: its words turn by turn, each
    part attributed, the first part's attribution and speaker for the whole."""
    phase = _phase(passage.attributes.get(phase_attribute))
    parts = _parts(passage, lambda segment: view.passage(passage.document, segment.start, segment.end),
                   view.speaker)
    return Quote(
        text=" ".join(p.text for p in parts),
        attribution=parts[0].attribution if parts else "",
        document=view.document_name(passage.document),
        speaker=parts[0].speaker if parts else None,
        phase=view.scrub(phase) if phase else None,
        code=code,
        start=passage.start,
        end=passage.end,
        coder=passage.coder,
        parts=parts,
    )


def _parts(passage: Any, text_of, speaker_of) -> tuple[QuotePart, ...]:
    """The passage's segments as quote parts; consecutive segments of one
    speaker with one attribution read as one part."""
    parts: list[QuotePart] = []
    for segment in passage.segments:
        text = " ".join(text_of(segment).split())
        if not text:
            continue
        speaker = speaker_of(segment.speaker) if segment.speaker else None
        if parts and (parts[-1].speaker, parts[-1].attribution, parts[-1].note) == (
                speaker, segment.attribution, segment.note):
            parts[-1] = QuotePart(f"{parts[-1].text} {text}", segment.attribution, speaker, segment.note)
        else:
            parts.append(QuotePart(text, segment.attribution, speaker, segment.note))
    return tuple(parts)


def _phase(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _phase_label(phase: str | None) -> str | None:
    if not phase:
        return None
    return phase if phase.casefold().startswith("phase") else f"phase {phase}"


def source_line(quote: Quote) -> str:
    """The small line under a quote: "p1_int_sw01 · phase 1", and
    "researcher's note" under an observation note, whatever its template."""
    marker = "researcher's note, not a participant's words" if quote.note else None
    return " · ".join(x for x in (quote.document, _phase_label(quote.phase), marker) if x)


def quote_format(path: str | Path, fmt: str | None = None) -> str:
    return choose_format(path, fmt, FORMATS, "quotes")


def write_quotes(groups: Sequence[QuoteGroup], path: str | Path, *, title: str, fmt: str | None = None,
                 notes: Sequence[str] = ()) -> None:
    """Write quote groups to ``path`` (.docx, .md, .html or .csv by extension,
    or ``fmt``), atomically. ``notes`` are lines under the title (filters,
    "Pseudonymised ..."); CSV has no room for them."""
    kind = quote_format(path, fmt)
    if kind == "docx":
        data = quotes_docx(groups, title=title, notes=notes)
    elif kind == "md":
        data = quotes_markdown(groups, title=title, notes=notes).encode("utf-8")
    elif kind == "html":
        data = quotes_html(groups, title=title, notes=notes).encode("utf-8")
    else:
        data = quotes_csv(groups).encode("utf-8-sig")
    write_atomically(path, data)


def _headed(groups: Sequence[QuoteGroup]):
    """``(new theme or None, group)`` for each group: the theme's name where
    a theme begins (its heading goes there), else None."""
    current = None
    for group in groups:
        if not group.quotes:
            continue
        yield (group.theme if group.theme != current else None), group
        current = group.theme


# -- DOCX ----------------------------------------------------------------------------

_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return _XML_UNSAFE.sub("", text)


def quotes_docx(groups: Sequence[QuoteGroup], *, title: str, notes: Sequence[str] = ()) -> bytes:
    """A Word document that reads like a report appendix: the title, a
    Heading 1 per theme and Heading 2 per sub-theme, each quote an indented
    italic block quote ('Quote' style) ending with its attribution in
    parentheses, then a small grey line with the document and phase."""
    from docx import Document
    from docx.shared import Cm, Pt, RGBColor

    grey = RGBColor(0x6E, 0x6E, 0x6E)
    document = Document()
    document.core_properties.title = _xml(title)
    document.core_properties.author = "fieldnotes"
    document.core_properties.last_modified_by = "fieldnotes"
    quote_style = document.styles["Quote"]
    quote_style.paragraph_format.left_indent = Cm(1)
    quote_style.paragraph_format.right_indent = Cm(1)
    quote_style.paragraph_format.space_after = Pt(2)
    quote_style.font.italic = True
    quote_style.font.color.rgb = RGBColor(0x26, 0x26, 0x26)

    document.add_heading(_xml(title), level=0)
    for note in notes:
        run = document.add_paragraph().add_run(_xml(note))
        run.font.size = Pt(9)
        run.font.color.rgb = grey
    if not any(g.quotes for g in groups):
        document.add_paragraph("No coded passages matched.")
    for theme, group in _headed(groups):
        if theme is not None:
            document.add_heading(_xml(theme), level=1)
        if group.subtheme:
            document.add_heading(_xml(group.subtheme), level=2)
        for quote in group.quotes:
            for part in quote.shown_parts():
                paragraph = document.add_paragraph(style="Quote")
                # A participant's words in italics; the researcher's notes upright.
                paragraph.add_run(_xml(part.text)).italic = not part.note
                if part.attribution:
                    paragraph.add_run(f" ({_xml(part.attribution)})").italic = False
            line = document.add_paragraph()
            line.paragraph_format.left_indent = Cm(1)
            line.paragraph_format.space_after = Pt(10)
            run = line.add_run(_xml(source_line(quote)))
            run.font.size = Pt(8)
            run.font.color.rgb = grey
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# -- Markdown ------------------------------------------------------------------------


def quotes_markdown(groups: Sequence[QuoteGroup], *, title: str, notes: Sequence[str] = ()) -> str:
    """``#`` title, ``##`` theme, ``###`` sub-theme, each quote a ``>`` block
    with its attribution, the document and phase in italics below it."""
    lines = [f"# {escape_markdown(title)}", ""]
    for note in notes:
        lines += [f"_{escape_markdown(note)}_", ""]
    if not any(g.quotes for g in groups):
        lines += ["No coded passages matched.", ""]
    for theme, group in _headed(groups):
        if theme is not None:
            lines += [f"## {escape_markdown(theme)}", ""]
        if group.subtheme:
            lines += [f"### {escape_markdown(group.subtheme)}", ""]
        for quote in group.quotes:
            for n, part in enumerate(quote.shown_parts()):
                if n:
                    lines.append(">")
                lines.append(f"> {escape_markdown(part.text)}")
                if part.attribution:
                    lines += [">", f"> ({escape_markdown(part.attribution)})"]
            lines.append("")
            source = source_line(quote)
            if source:
                lines += [f"_{escape_markdown(source)}_", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# -- HTML ----------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font-family: Georgia, "Times New Roman", serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; background: #ffffff; line-height: 1.5; }
h1 { font-size: 1.7rem; }
h2 { font-size: 1.35rem; margin-top: 2rem; border-bottom: 1px solid #d0d0d0; }
h3 { font-size: 1.1rem; margin-top: 1.5rem; }
.notes { color: #555555; font-size: 0.9rem; }
figure { margin: 0 0 1.2rem; }
blockquote { margin: 0 2rem; padding-left: 1rem; border-left: 3px solid #9ecae1; font-style: italic; }
blockquote cite { font-style: normal; }
blockquote p.note { font-style: normal; }
figcaption { margin: 0.2rem 2rem 0 3.2rem; font-size: 0.8rem; color: #6e6e6e; font-family: system-ui, sans-serif; }
"""


def quotes_html(groups: Sequence[QuoteGroup], *, title: str, notes: Sequence[str] = ()) -> str:
    """A self-contained page (inline CSS, no scripts, nothing fetched), every
    text escaped."""
    esc = html.escape
    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="fieldnotes">',
        f"<title>{esc(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>{esc(title)}</h1>",
    ]
    out += [f'<p class="notes">{esc(n)}</p>' for n in notes]
    if not any(g.quotes for g in groups):
        out.append("<p>No coded passages matched.</p>")
    for theme, group in _headed(groups):
        if theme is not None:
            out.append(f"<h2>{esc(theme)}</h2>")
        if group.subtheme:
            out.append(f"<h3>{esc(group.subtheme)}</h3>")
        for quote in group.quotes:
            paragraphs = []
            for part in quote.shown_parts():
                cite = f" <cite>({esc(part.attribution)})</cite>" if part.attribution else ""
                marked = ' class="note"' if part.note else ""
                paragraphs.append(f"<p{marked}>{esc(part.text)}{cite}</p>")
            out.append(f"<figure><blockquote>{''.join(paragraphs)}</blockquote>"
                       f"<figcaption>{esc(source_line(quote))}</figcaption></figure>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# -- CSV -----------------------------------------------------------------------------


def quotes_csv(groups: Sequence[QuoteGroup]) -> str:
    """One row per quote part (a quote spanning turns has a row per speaker):
    theme, sub-theme, quote, attribution, document, phase, speaker, and "yes"
    under note for the researcher's notes; every cell neutralised (the BOM is
    added on writing)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for group in groups:
        for q in group.quotes:
            for part in q.shown_parts():
                writer.writerow([neutralise(v or "") for v in (
                    group.theme, group.subtheme, part.text, part.attribution, q.document, q.phase, part.speaker,
                    "yes" if part.note else "")])
    return buffer.getvalue()
