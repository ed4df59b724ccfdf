"""Writing a :class:`~fieldnotes.analysis.table.Table` out: CSV, XLSX, Markdown,
self-contained HTML or a heatmap picture (PNG or SVG). The terminal's
rendering is the CLI's (:mod:`fieldnotes.cli.tables`); the heat scales both
use are defined here, once.

One set of decisions holds across every format:

* **Row labels** are indented by depth (two spaces per level in CSV and the
  terminal, a cell indent in XLSX, padding in HTML, non-breaking spaces in
  Markdown), so a code's place in the hierarchy reads the same everywhere.
  The first column's header is ``table.corner``.
* **Totals** come last: a "Total" column (``row_totals``) and a "Total" row
  (``column_totals``, with ``total`` where they meet), in bold where the format
  has bold; they are never shaded, so they do not flatten the colour scale.
* **Numbers** take one of three forms, chosen per table (:func:`value_kind`):
  whole numbers (``#,##0``), percentages (``0.0%``) and other numbers
  (``0.00``, e.g. Jaccard). When ``table.percent`` is set the values are
  percentages on the 0-100 scale (``25.0`` is 25 %); XLSX stores them as
  fractions (0.25) under the format ``0.0%`` so that Excel computes with them
  correctly, CSV keeps the 0-100 number, the rest show ``25.0%``.
* **Text cells** going to a spreadsheet (CSV and XLSX) are neutralised
  (:func:`fieldnotes.export.safe.neutralise`); HTML and Markdown escape
  everything.
* Every file is written atomically.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldnotes.analysis.matrix import MEASURE_TITLES
from fieldnotes.analysis.table import Table
from fieldnotes.errors import FieldnotesError
from fieldnotes.export.safe import choose_format, escape_markdown, is_number, neutralise
from fieldnotes.output import write_atomically

#: Formats by file extension.
FORMATS = {
    ".csv": "csv", ".xlsx": "xlsx", ".md": "md", ".markdown": "md",
    ".html": "html", ".htm": "html", ".png": "png", ".svg": "svg",
}

TOTAL = "Total"

# The heat scale, white to blue, shared by XLSX and HTML (and close to the
# heatmap's "Blues"): black text stays readable on the XLSX end colour, where
# Excel cannot change the text colour per cell.
XLSX_LOW, XLSX_HIGH = "FFFFFF", "5B9BD5"
HTML_LOW, HTML_HIGH = (255, 255, 255), (33, 102, 172)

#: The same scale in steps, for terminals (the CLI's tables and the
#: workspace's matrix): ``(text colour, background)`` from light to dark
#: blue, each with its own text colour, so that a cell reads the same on
#: light and dark terminals.
HEAT_STEPS = (
    ("#000000", "#dbe9f6"),
    ("#000000", "#b4d3e9"),
    ("#000000", "#84bcdb"),
    ("#ffffff", "#4a98c9"),
    ("#ffffff", "#2171b5"),
    ("#ffffff", "#08468c"),
)


# -- shared layout ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GridRow:
    label: str
    depth: int
    values: list[Any]
    """The row's cells, with its row total last when the table has totals."""
    total: bool = False
    """The totals row."""


def table_format(path: str | Path, fmt: str | None = None) -> str:
    """The format to write: ``fmt`` when given, else from the extension."""
    return choose_format(path, fmt, FORMATS, "table")


def header(table: Table) -> list[str]:
    """The header row: the corner label, the columns, and "Total" when the
    table has row totals."""
    return [table.corner or "", *table.columns, *([TOTAL] if table.row_totals is not None else [])]


def grid(table: Table) -> list[GridRow]:
    """The body rows in order, each with its total, then the totals row."""
    if len(table.values) != len(table.rows):
        raise FieldnotesError(f"The table '{table.title}' has {len(table.rows)} row labels but {len(table.values)} rows of values.")
    with_totals = table.row_totals is not None
    rows = []
    for r, head in enumerate(table.rows):
        values = list(table.values[r])
        if len(values) != len(table.columns):
            raise FieldnotesError(f"Row '{head.label}' of '{table.title}' has {len(values)} values for {len(table.columns)} columns.")
        if with_totals:
            values.append(table.row_totals[r])
        rows.append(GridRow(head.label, head.depth, values))
    if table.column_totals is not None:
        values = list(table.column_totals)
        if with_totals:
            values.append(table.total)
        rows.append(GridRow(TOTAL, 0, values, total=True))
    return rows


def value_kind(table: Table) -> str:
    """``"text"`` (a framework matrix), ``"percent"``, ``"int"`` when every
    number is whole, else ``"decimal"``."""
    if not table.numeric:
        return "text"
    if table.percent:
        return "percent"
    numbers = [v for row in table.values for v in row if is_number(v)]
    for extra in (table.row_totals or [], table.column_totals or [], [table.total]):
        numbers += [v for v in extra if is_number(v)]
    if all(float(v).is_integer() for v in numbers if math.isfinite(float(v))):
        return "int"
    return "decimal"


def format_value(value: Any, kind: str) -> str:
    """A cell as text: ``1,234``, ``25.0%``, ``0.35``; empty for None."""
    if value is None:
        return ""
    if not is_number(value) or kind == "text":
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return ""
    if kind == "percent":
        return f"{number:.1f}%"
    if kind == "int":
        return f"{int(round(number)):,}"
    return f"{number:.2f}"


def heat_range(table: Table) -> tuple[float, float]:
    """The lowest and highest body value (totals left out), the scale of the
    shading; the low end is never above 0."""
    numbers = [float(v) for row in table.values for v in row if is_number(v) and math.isfinite(float(v))]
    if not numbers:
        return 0.0, 0.0
    return min(0.0, min(numbers)), max(numbers)


def heat_share(value: Any, lo: float, hi: float) -> float | None:
    """Where ``value`` sits between lo and hi (0..1), None for no shading."""
    if not is_number(value) or hi <= lo:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return min(1.0, max(0.0, (number - lo) / (hi - lo)))


# -- writing ---------------------------------------------------------------------


def write_table(table: Table, path: str | Path, *, fmt: str | None = None) -> None:
    """Write ``table`` to ``path`` in the format its extension names (.csv,
    .xlsx, .md, .html, .png, .svg), or ``fmt``. The file appears whole or not
    at all.

    >>> write_table(matrix, Path("phase-by-theme.xlsx"))  # doctest: +SKIP
    """
    kind = table_format(path, fmt)
    if kind == "csv":
        data = to_csv(table).encode("utf-8-sig")
    elif kind == "xlsx":
        data = to_xlsx([table])
    elif kind == "md":
        data = to_markdown(table).encode("utf-8")
    elif kind == "html":
        data = to_html(table).encode("utf-8")
    else:
        data = to_heatmap(table, kind)
    write_atomically(path, data)


def write_tables(tables: Sequence[Table], path: str | Path) -> None:
    """Write several tables into one XLSX workbook, a sheet per table (named
    after its title, made unique and at most 31 characters)."""
    if table_format(path) != "xlsx":
        raise FieldnotesError(f"Several tables go into one .xlsx workbook; name the file '{Path(path).stem}.xlsx'.")
    write_atomically(path, to_xlsx(tables))


# -- CSV ---------------------------------------------------------------------------


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if is_number(value) and kind != "text":
        number = float(value)
        if not math.isfinite(number):
            return ""
        if kind == "int":
            return int(round(number))
        return round(number, 2 if kind == "percent" else 4)
    return neutralise(str(value))


def to_csv(table: Table) -> str:
    """The table as CSV text (without the BOM, which :func:`write_table` adds):
    a header row, then one row per label, labels indented two spaces per
    level, totals last. Numbers are plain (percentages as 0-100, no % sign);
    every text cell is neutralised."""
    kind = value_kind(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header(table)])
    for row in grid(table):
        writer.writerow([neutralise("  " * row.depth + row.label), *(_csv_value(v, kind) for v in row.values)])
    return buffer.getvalue()


# -- XLSX --------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
XLSX_MAX_CELL = 32_767


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique (case-insensitively) worksheet name of at most 31
    characters for ``title``; adds it to ``taken``."""
    name = " ".join(_SHEET_FORBIDDEN.sub(" ", title or "").split()).strip("'").strip() or "Table"
    if name.casefold() == "history":  # reserved by Excel
        name = "History table"
    base = name[:31].rstrip()
    candidate, n = base, 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[:31 - len(suffix)].rstrip() + suffix
    taken.add(candidate.casefold())
    return candidate


def _xlsx_text(value: Any) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > XLSX_MAX_CELL:
        text = text[:XLSX_MAX_CELL - 1] + "…"
    return neutralise(text)


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """An XLSX workbook with a sheet per table, as bytes.

    Each sheet: the title in row 1, bold headers in row 2, the header row and
    label column frozen, number formats (``#,##0``, ``0.0%`` over fractions,
    ``0.00``), a white-to-blue colour scale over the body's numbers, widths
    fitted to the contents, text wrapped in framework (text) tables, notes
    below. Written in openpyxl's write-only (streaming) mode: a 200 x 50
    matrix takes a fraction of a second.
    """
    from openpyxl import Workbook

    if not tables:
        raise FieldnotesError("There is no table to write.")
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    styles = _XlsxStyles()
    for table in tables:
        _xlsx_sheet(workbook.create_sheet(sheet_name(table.title, taken)), table, styles)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _XlsxStyles:
    """Style objects made once and shared by every cell (openpyxl keeps one
    copy of each style per workbook; sharing saves work too)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.title = Font(bold=True, size=13)
        self.bold = Font(bold=True)
        self.note = Font(italic=True, color="595959")
        self.header_fill = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
        thin = Side(style="thin", color="A6A6A6")
        self.header_border = Border(bottom=thin)
        self.total_border = Border(top=thin)
        self.header_align = Alignment(wrap_text=True, vertical="bottom")
        self.header_align_number = Alignment(wrap_text=True, vertical="bottom", horizontal="right")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.top = Alignment(vertical="top")
        self.indents = [Alignment(indent=min(depth, 15)) for depth in range(16)]
        self.indents_top = [Alignment(indent=min(depth, 15), vertical="top", wrap_text=True) for depth in range(16)]


_XLSX_NUMBER_FORMATS = {"int": "#,##0", "percent": "0.0%", "decimal": "0.00"}


def _xlsx_sheet(ws, table: Table, s: _XlsxStyles) -> None:
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.utils import get_column_letter

    kind = value_kind(table)
    heads = header(table)
    rows = grid(table)
    # Widths and frozen panes go at the top of the sheet's XML, so in
    # write-only mode they are set before the first row.
    _xlsx_widths(ws, heads, rows, kind)
    ws.freeze_panes = "B3"
    cell = _XlsxCells(ws)
    ws.append([cell(_xlsx_text(table.title), font=s.title)])
    ws.append([cell(_xlsx_text(h), font=s.bold, fill=s.header_fill, border=s.header_border,
                    alignment=s.header_align if (i == 0 or kind == "text") else s.header_align_number)
               for i, h in enumerate(heads)])
    # Top-level codes in bold too: a cell indent alone does not show in every
    # spreadsheet (LibreOffice's PDF export drops it).
    hierarchical = any(r.depth > 0 for r in rows)
    for row in rows:
        ws.append(_xlsx_row(cell, s, row, kind, hierarchical, table.row_totals is not None))
    if table.notes:
        ws.append([])
        for note in table.notes:
            ws.append([cell(_xlsx_text(note), font=s.note)])

    body_rows = len(table.rows)
    if kind != "text" and body_rows and table.columns:
        first, last_row = 3, 2 + body_rows
        area = f"B{first}:{get_column_letter(1 + len(table.columns))}{last_row}"
        ws.conditional_formatting.add(area, ColorScaleRule(
            start_type="min", start_color=XLSX_LOW, end_type="max", end_color=XLSX_HIGH))


def _xlsx_widths(ws, heads: list[str], rows: list[GridRow], kind: str) -> None:
    """Column widths fitted to the contents (text columns wrap at 50)."""
    from openpyxl.utils import get_column_letter

    label_width = max([len(heads[0])] + [2 * r.depth + len(r.label) for r in rows] + [8])
    ws.column_dimensions["A"].width = min(label_width + 3, 60)
    for c, name in enumerate(heads[1:], start=2):
        if kind == "text":
            longest = max((len(str(r.values[c - 2] or "")) for r in rows), default=0)
            width = 50 if longest > 50 else max(14, min(len(name), 30), longest) + 2
        else:
            longest = max((len(format_value(r.values[c - 2], kind)) for r in rows), default=0)
            width = max(8, longest + 2, min(len(name), 16) + 2)
        ws.column_dimensions[get_column_letter(c)].width = width


class _XlsxCells:
    """Makes a write-only cell with the styles given."""

    def __init__(self, ws) -> None:
        from openpyxl.cell import WriteOnlyCell

        self.ws = ws
        self.make = WriteOnlyCell

    def __call__(self, value, *, font=None, fill=None, border=None, alignment=None, fmt=None):
        c = self.make(self.ws, value=value)
        if font is not None:
            c.font = font
        if fill is not None:
            c.fill = fill
        if border is not None:
            c.border = border
        if alignment is not None:
            c.alignment = alignment
        if fmt is not None:
            c.number_format = fmt
        return c


def _xlsx_row(cell: _XlsxCells, s: _XlsxStyles, row: GridRow, kind: str, hierarchical: bool,
              with_totals: bool) -> list:
    """One row's cells: the indented label, then numbers in the table's
    format (percentages as fractions) or text; totals in bold."""
    text = kind == "text"
    number_format = _XLSX_NUMBER_FORMATS.get(kind)
    font = s.bold if row.total else None
    label_font = s.bold if row.total or (hierarchical and row.depth == 0) else None
    border = s.total_border if row.total else None
    indent = (s.indents_top if text else s.indents)[min(row.depth, 15)]
    out = [cell(_xlsx_text(row.label), font=label_font, border=border, alignment=indent)]
    last = len(row.values) - 1
    for i, value in enumerate(row.values):
        bold = font or (s.bold if with_totals and i == last else None)
        if value is None:
            out.append(cell(None, border=border))
        elif is_number(value) and not text:
            number = float(value)
            if not math.isfinite(number):
                out.append(cell(None, border=border))
                continue
            number = number / 100 if kind == "percent" else (int(round(number)) if kind == "int" else number)
            out.append(cell(number, font=bold, border=border, fmt=number_format))
        else:
            out.append(cell(_xlsx_text(value), font=bold, border=border, alignment=s.wrap if text else s.top))
    return out


# -- Markdown ----------------------------------------------------------------------


def to_markdown(table: Table) -> str:
    """A heading, a pipe table (numbers right-aligned, totals in bold, labels
    indented with non-breaking spaces), and the notes below."""
    kind = value_kind(table)
    heads = header(table)
    lines = [f"# {escape_markdown(table.title)}", ""]
    lines.append("| " + " | ".join(escape_markdown(h, cell=True) or " " for h in heads) + " |")
    align = ":---" if kind == "text" else "---:"
    lines.append("| :--- | " + " | ".join(align for _ in heads[1:]) + " |" if heads[1:] else "| :--- |")
    for row in grid(table):
        cells = ["\u00a0\u00a0" * row.depth + escape_markdown(row.label, cell=True)]
        cells += [escape_markdown(format_value(v, kind), cell=True) for v in row.values]
        if row.total or table.row_totals is not None:
            last = len(cells) - 1
            cells = [f"**{c}**" if c and (row.total or i == last) else c for i, c in enumerate(cells)]
        lines.append("| " + " | ".join(cells) + " |")
    if table.notes:
        lines += ["", *(f"- {escape_markdown(n)}" for n in table.notes)]
    return "\n".join(lines) + "\n"


# -- HTML --------------------------------------------------------------------------


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def heat_colours(share: float) -> tuple[str, str]:
    """``(background, text)`` hex colours for a share of the scale (0..1):
    white to blue, with black or white text, whichever contrasts more."""
    rgb = tuple(round(lo + (hi - lo) * share) for lo, hi in zip(HTML_LOW, HTML_HIGH))
    lum = _luminance(rgb)
    on_black = (lum + 0.05) / 0.05
    on_white = 1.05 / (lum + 0.05)
    text = "#000000" if on_black >= on_white else "#ffffff"
    return "#{:02x}{:02x}{:02x}".format(*rgb), text


_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 2rem; color: #1a1a1a; background: #ffffff; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
.wrap { overflow: auto; max-height: 85vh; border: 1px solid #d0d0d0; }
table { border-collapse: separate; border-spacing: 0; font-size: 0.9rem; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e3e3e3; }
thead th { position: sticky; top: 0; z-index: 2; background: #ededed; text-align: right; vertical-align: bottom; border-bottom: 1px solid #a6a6a6; }
thead th.corner { left: 0; z-index: 3; text-align: left; }
tbody th, tfoot th { position: sticky; left: 0; z-index: 1; background: #ffffff; text-align: left; font-weight: normal; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { vertical-align: top; white-space: pre-wrap; min-width: 16rem; max-width: 32rem; }
table.text thead th { text-align: left; }
table.text tbody th { vertical-align: top; }
.total, tfoot th, tfoot td { font-weight: bold; }
tfoot th, tfoot td { border-top: 1px solid #a6a6a6; background: #f7f7f7; }
th.top { font-weight: 600; }
.notes { color: #555555; font-size: 0.85rem; margin-top: 1rem; padding-left: 1.2rem; }
"""


def to_html(table: Table) -> str:
    """A self-contained HTML page (inline CSS, no scripts, nothing fetched):
    the title, the table with heat-shaded cells and a sticky header and label
    column, and the notes. Every piece of text is escaped."""
    kind = value_kind(table)
    esc = html.escape
    lo, hi = heat_range(table)
    heads = header(table)
    rows = grid(table)
    nested = any(r.depth for r in rows)
    with_totals = table.row_totals is not None
    corner = ' class="corner"'
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="fieldnotes">',
        f"<title>{esc(table.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(table.title)}</h1>",
        '<div class="wrap">',
        f'<table class="{"text" if kind == "text" else "numbers"}">',
        "<thead><tr>" + "".join(
            f'<th scope="col"{corner if i == 0 else ""}>{esc(h)}</th>' for i, h in enumerate(heads)
        ) + "</tr></thead>",
        "<tbody>",
    ]
    footer = []
    for row in rows:
        label_class = ' class="top"' if nested and row.depth == 0 and not row.total else ""
        style = f' style="padding-left:{0.6 + 1.2 * row.depth:.1f}rem"' if row.depth else ""
        cells = [f'<th scope="row"{label_class}{style}>{esc(row.label)}</th>']
        last = len(row.values) - 1
        for i, value in enumerate(row.values):
            is_total = row.total or (with_totals and i == last)
            shown = esc(format_value(value, kind))
            if kind == "text":
                cells.append(f'<td class="text">{shown}</td>')
                continue
            classes = "num total" if is_total else "num"
            share = None if is_total else heat_share(value, lo, hi)
            if share is None:
                cells.append(f'<td class="{classes}">{shown}</td>')
            else:
                background, colour = heat_colours(share)
                cells.append(f'<td class="{classes}" style="background:{background};color:{colour}">{shown}</td>')
        line = "<tr>" + "".join(cells) + "</tr>"
        (footer if row.total else out).append(line)
    out.append("</tbody>")
    if footer:
        out += ["<tfoot>", *footer, "</tfoot>"]
    out += ["</table>", "</div>"]
    if table.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in table.notes) + "</ul>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# -- heatmap pictures ----------------------------------------------------------------


def to_heatmap(table: Table, fmt: str = "png") -> bytes:
    """A heatmap of the body values (totals left out) as PNG or SVG bytes:
    values written in the cells (up to 3,000 cells; beyond that the colours
    speak alone), row labels indented by depth with top-level codes in bold,
    column labels slanted along the top, a colour bar.

    matplotlib is imported here, not at module import, and drawn without
    pyplot (a bare ``Figure`` on the Agg canvas): no global state, no window.
    """
    if fmt not in ("png", "svg"):
        raise FieldnotesError(f"A heatmap is a .png or .svg picture, not .{fmt}.")
    if not table.numeric:
        raise FieldnotesError(
            f"'{table.title}' holds text (a framework matrix), which a heatmap cannot show; "
            "write it as .xlsx, .csv, .md or .html.")
    if not table.rows or not table.columns:
        raise FieldnotesError(f"'{table.title}' has no rows or no columns to draw.")
    try:
        import numpy as np
        from matplotlib import rc_context
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        raise FieldnotesError("Heatmap pictures need matplotlib: pip install matplotlib.") from None

    kind = value_kind(table)
    data = _heatmap_data(np, table)
    lo, hi = heat_range(table)
    labels = ["    " * h.depth + h.label for h in table.rows]
    width, height, font = _heatmap_size(table, labels)
    with rc_context({"svg.hashsalt": "fieldnotes", "font.size": font}):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        image = ax.imshow(np.ma.masked_invalid(data), cmap="Blues", aspect="auto", interpolation="nearest",
                          vmin=lo, vmax=hi if hi > lo else lo + 1)
        _heatmap_axes(np, fig, ax, table, labels)
        if data.size <= 3000:
            _heatmap_values(ax, table, data, lo, hi, kind, font)
        bar = fig.colorbar(image, ax=ax, shrink=min(1.0, 6 / height + 0.2), pad=0.02)
        bar.outline.set_visible(False)
        measure = MEASURE_TITLES[table.measure].lower() if table.measure in MEASURE_TITLES else table.measure
        bar.set_label(f"% of column ({measure})" if kind == "percent" else measure)
        ax.set_title(table.title, loc="left", fontsize=font + 3, fontweight="bold", pad=12)
        if table.notes:
            fig.text(0.01, 0.002, " · ".join(table.notes), fontsize=font - 1, color="#555555", ha="left", va="bottom")
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": "fieldnotes"}
        fig.savefig(buffer, format=fmt, dpi=(150 if width * height <= 400 else 100) if fmt == "png" else 72, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def heat_step(share: float | None) -> tuple[str, str] | None:
    """The step of :data:`HEAT_STEPS` for a share of the scale (0..1), as
    ``(text colour, background)``; None (unshaded) for no share or 0."""
    if share is None or share <= 0:
        return None
    return HEAT_STEPS[min(len(HEAT_STEPS) - 1, int(share * len(HEAT_STEPS) - 1e-9))]


def _heatmap_data(np, table: Table):
    """The body values as floats, NaN where a cell holds no finite number."""
    data = np.full((len(table.rows), len(table.columns)), np.nan)
    for r, row in enumerate(table.values):
        for c, value in enumerate(row):
            if is_number(value) and math.isfinite(float(value)):
                data[r, c] = float(value)
    return data


def _heatmap_size(table: Table, labels: list[str]) -> tuple[float, float, int]:
    """``(width, height)`` in inches and the font size: room for the labels
    and the slanted column names, within bounds a viewer can open."""
    nrows, ncols = len(table.rows), len(table.columns)
    label_chars = max(len(x) for x in labels)
    column_chars = min(max(len(c) for c in table.columns), 40)
    width = min(max(6.0, 1.8 + 0.075 * min(label_chars, 60) + 0.5 * ncols + 0.04 * column_chars), 48.0)
    per_row = 0.3 if nrows <= 60 else 0.2
    height = min(max(3.5, 1.6 + per_row * nrows + 0.07 * column_chars), 60.0)
    font = 9 if nrows <= 40 and ncols <= 25 else 7
    return width, height, font


def _heatmap_axes(np, fig, ax, table: Table, labels: list[str]) -> None:
    """Column names slanted along the top, row labels indented by depth
    (top-level codes bold), white lines between cells, no frame."""
    nrows, ncols = len(table.rows), len(table.columns)
    ax.set_xticks(range(ncols), labels=[c if len(c) <= 40 else c[:39] + "…" for c in table.columns])
    ax.set_yticks(range(nrows), labels=[x if len(x) <= 60 else x[:59] + "…" for x in labels])
    ax.xaxis.tick_top()
    for tick in ax.get_xticklabels():
        tick.set_rotation(40)
        tick.set_horizontalalignment("left")
        tick.set_rotation_mode("anchor")
    if any(h.depth for h in table.rows):
        # Indentation shows only on left-aligned labels: align them left
        # and push them out by the widest one.
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        renderer = FigureCanvasAgg(fig).get_renderer()
        ticks = ax.get_yticklabels()
        for tick, head in zip(ticks, table.rows):
            tick.set_horizontalalignment("left")
            if head.depth == 0:
                tick.set_fontweight("bold")
        widest = max(t.get_window_extent(renderer).width for t in ticks) * 72 / fig.dpi
        ax.tick_params(axis="y", which="major", pad=widest + 4)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, ncols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, nrows, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _heatmap_values(ax, table: Table, data, lo: float, hi: float, kind: str, font: int) -> None:
    """Each value written in its cell, white on the darker cells."""
    span = hi - lo if hi > lo else 1.0
    nrows, ncols = data.shape
    for r in range(nrows):
        for c in range(ncols):
            value = data[r, c]
            if math.isnan(value):
                continue
            dark = (value - lo) / span > 0.55
            ax.text(c, r, format_value(table.values[r][c], kind), ha="center", va="center",
                    fontsize=font - 1, color="white" if dark else "#1a1a1a")
