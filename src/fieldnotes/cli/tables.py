"""Theme matrices in the terminal (rich): shaded cells, and tables fitted
to the terminal's width. The CLI's rendering of a
:class:`fieldnotes.analysis.table.Table`; files are written by
:mod:`fieldnotes.export.tables`, which knows nothing of terminals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fieldnotes.analysis.table import Table
from fieldnotes.export.tables import (  # noqa: F401 - shared with the file writers
    TOTAL,
    GridRow,
    format_value,
    grid,
    header,
    heat_range,
    heat_share,
    heat_step,
    value_kind,
)
from fieldnotes.manifest import column_letter  # the key letters are spreadsheet column letters


def rich_table(table: Table):
    """A :class:`rich.table.Table` for the terminal: numeric cells shaded by
    value (six steps of blue, each with black or white text), zero and empty
    cells unshaded, totals in bold, labels indented by depth."""
    from rich.align import Align
    from rich.style import Style
    from rich.table import Table as RichTable
    from rich.text import Text as RichText

    from fieldnotes.terminal import printable

    def Text(text: str, **style) -> RichText:  # noqa: N802 - labels come from files: no raw control characters
        return RichText(printable(text), **style)

    kind = value_kind(table)
    lo, hi = heat_range(table)
    heads = header(table)
    with_totals = table.row_totals is not None
    out = RichTable(title=Text(table.title), caption=Text("\n".join(table.notes)) if table.notes else None,
                    caption_justify="left", show_lines=kind == "text", header_style="bold")
    out.add_column(Text(heads[0]), no_wrap=kind != "text")
    for i, name in enumerate(heads[1:], start=1):
        total_column = with_totals and i == len(heads) - 1
        out.add_column(Text(name), justify="left" if kind == "text" else "right",
                       style="bold" if total_column else None, overflow="fold")
    rows = grid(table)
    for row in rows:
        if row.total:
            out.add_section()
        cells = [Text("  " * row.depth + row.label, style="bold" if row.total or (row.depth == 0 and any(r.depth for r in rows)) else "")]
        last = len(row.values) - 1
        for i, value in enumerate(row.values):
            shown = format_value(value, kind)
            step = None if row.total or (with_totals and i == last) else heat_step(heat_share(value, lo, hi))
            if step is None:
                cells.append(Text(shown))
            else:
                cells.append(Align(Text(shown), align="right", style=Style(color=step[0], bgcolor=step[1])))
        out.add_row(*cells, style="bold" if row.total else None)
    return out


# -- fitting the terminal --------------------------------------------------------------

#: Label columns are cut (with "…") to leave room for numbers, but never below this.
_MIN_LABEL = 18
#: Wrapped column headings take at most this many lines before keys are used.
_HEADER_LINES = 3


def _table_width(label: int, columns: Sequence[int]) -> int:
    # Light rules, no outer border or edge padding, collapsed padding: each
    # column after the labels costs its width and two spaces.
    return label + sum(w + 2 for w in columns)


def terminal_tables(table: Table, width: int) -> list[Any]:
    """The table as rich renderables that fit ``width`` terminal columns:
    what ``export matrix`` prints without ``-o``.

    Every number is printed whole: a column is never narrower than its widest
    number. Column headings are wrapped at spaces when that fits; otherwise
    the columns are headed A, B, C... with a key below the table; and when
    even that is too wide, the columns are split over several tables (each
    repeating the row labels), "columns A-H of 20". Long row labels are cut
    with "…" (the files written with ``-o`` keep them whole). The notes come
    last, at the terminal's width. A framework matrix (text cells) is one
    table that wraps its cells.
    """
    from rich.text import Text

    kind = value_kind(table)
    notes = [Text("\n".join(table.notes), style="dim")] if table.notes else []
    if kind == "text":
        out = rich_table(table)
        out.caption = None
        return [out, *notes]
    rows = grid(table)
    heads = header(table)
    corner, names = heads[0], heads[1:]
    with_totals = table.row_totals is not None
    data = len(table.columns)
    shown = [[format_value(v, kind) for v in row.values] for row in rows]
    numbers = [max([len(r[i]) for r in shown] + [1]) for i in range(len(names))]
    labels = [("  " * row.depth) + row.label for row in rows]
    full_label = max([len(corner)] + [len(x) for x in labels])

    def fits(label: int, columns: Sequence[int]) -> bool:
        return _table_width(label, columns) <= width

    # 1. Full headings, wrapped at spaces into at most three lines.
    wrapped = []
    for name, need in zip(names, numbers):
        longest = max((len(w) for w in name.split()), default=1)
        wrapped.append(max(need, min(longest, 16), -(-len(name) // _HEADER_LINES)))
    label = min(full_label, max(_MIN_LABEL, width - _table_width(0, wrapped)))
    if fits(label, wrapped) and all(_wraps_within(n, w) for n, w in zip(names, wrapped)):
        return [_fitted(table, rows, shown, labels, corner, names, wrapped, label, range(len(names)), kind), *notes]

    # 2. Keys (A, B, ...) for the attribute columns, explained below.
    keys = [column_letter(i) for i in range(data)] + ([TOTAL] if with_totals else [])
    keyed = [max(n, len(k)) for n, k in zip(numbers, keys)]
    key_lines = Text("\n".join(f"{k}  {name}" for k, name in zip(keys, names[:data])))
    label = min(full_label, max(_MIN_LABEL, width - _table_width(0, keyed)))
    if fits(label, keyed):
        return [_fitted(table, rows, shown, labels, corner, keys, keyed, label, range(len(keys)), kind),
                Text("Columns:", style="bold"), key_lines, *notes]

    # 3. Pages of columns, each repeating the row labels; Total on the last.
    label = min(full_label, max(_MIN_LABEL, width // 3))
    pages: list[list[int]] = [[]]
    total_width = keyed[-1] if with_totals else None
    for i in range(data):
        trial = pages[-1] + [i]
        widths = [keyed[j] for j in trial]
        if pages[-1] and not fits(label, widths):
            pages.append([i])
        else:
            pages[-1] = trial
    if with_totals:
        if fits(label, [keyed[j] for j in pages[-1]] + [total_width]):
            pages[-1].append(data)
        else:
            pages.append([data])
    out: list[Any] = []
    for n, page in enumerate(pages, start=1):
        in_page = [j for j in page if j < data]
        span = f"{keys[in_page[0]]}–{keys[in_page[-1]]}" if in_page else TOTAL
        title = f"{table.title} (columns {span} of {data}; part {n} of {len(pages)})"
        out.append(_fitted(table, rows, shown, labels, corner, keys, keyed, label, page, kind, title=title))
    return [*out, Text("Columns:", style="bold"), key_lines, *notes]


def _wraps_within(name: str, width: int) -> bool:
    """Whether ``name`` wrapped at spaces into ``width`` columns takes at
    most three lines with no word cut."""
    lines, current = 1, 0
    for word in name.split():
        if len(word) > width:
            return False
        if current and current + 1 + len(word) > width:
            lines, current = lines + 1, len(word)
        else:
            current = current + 1 + len(word) if current else len(word)
    return lines <= _HEADER_LINES


def _fitted(table: Table, rows: list[GridRow], shown: list[list[str]], labels: list[str], corner: str,
            heads: Sequence[str], widths: Sequence[int], label: int, columns: Sequence[int], kind: str,
            title: str | None = None):
    """One rich table of the chosen ``columns`` at the given widths."""
    from rich.align import Align
    from rich.style import Style
    from rich.table import Table as RichTable
    from rich.text import Text

    lo, hi = heat_range(table)
    with_totals = table.row_totals is not None
    last = len(table.columns) if with_totals else None
    from rich import box

    out = RichTable(title=Text(title or table.title), header_style="bold", expand=False, title_justify="left",
                    box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True, pad_edge=False)
    out.add_column(Text(corner), width=label, no_wrap=True, overflow="ellipsis")
    for j in columns:
        out.add_column(Text(heads[j]), justify="right", width=widths[j], min_width=widths[j], no_wrap=False,
                       overflow="fold", style="bold" if j == last else None)
    indented = any(r.depth for r in rows)
    for row, cells_text, text_label in zip(rows, shown, labels):
        if row.total:
            out.add_section()
        cells: list[Any] = [Text(text_label, style="bold" if row.total or (row.depth == 0 and indented) else "",
                                 no_wrap=True, overflow="ellipsis")]
        for j in columns:
            value = row.values[j]
            step = None if row.total or j == last else heat_step(heat_share(value, lo, hi))
            shown_value = Text(cells_text[j], no_wrap=True)
            if step is None:
                cells.append(shown_value)
            else:
                cells.append(Align(shown_value, align="right", style=Style(color=step[0], bgcolor=step[1])))
        out.add_row(*cells, style="bold" if row.total else None)
    return out
