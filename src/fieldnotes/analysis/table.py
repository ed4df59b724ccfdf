"""A table of results, independent of how it is written out.

Every analysis returns a :class:`Table`; every exporter (CSV, XLSX, Markdown,
HTML, heatmap pictures, the terminal, the TUI) takes one. So the same numbers
reach the API, the CLI and the TUI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RowHeader:
    label: str          # what to show: a code's name, a case, a document
    key: str            # a stable identity: a code's path, a case name, a document name
    depth: int = 0      # indentation of a code in the hierarchy (0 = top level)


@dataclass(slots=True)
class Table:
    """``values[r][c]`` for row r and column c (numbers, or text for a
    framework matrix). ``row_totals``/``column_totals``/``total`` are None
    where a total means nothing (text cells, percentages of a column)."""

    title: str
    rows: list[RowHeader]
    columns: list[str]
    values: list[list[Any]]
    row_totals: list[Any] | None = None
    column_totals: list[Any] | None = None
    total: Any = None
    corner: str = ""                    # the label of the row-header column ("Code", "Case")
    measure: str = ""                   # passages | documents | cases | words | text
    percent: bool = False               # values are percentages of the column
    notes: list[str] = field(default_factory=list)   # filters, pseudonymised or not, ...
    column_keys: list[Any] | None = None
    """What each column stands for, unformatted (a document name, a case, an
    attribute value, a tuple of values for a cross): for drill-down."""
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    """Optional per-cell payload (e.g. the coding ids behind a count) for
    drill-down in the TUI; not written to files."""

    @property
    def numeric(self) -> bool:
        return self.measure != "text"


def scrub_table(table: Table, scrub) -> Table:
    """The table with every label and text cell passed through ``scrub`` (the
    project's string pseudonymiser): document and case names, attribute
    values and framework text can all carry real names."""
    table.rows = [RowHeader(scrub(r.label), r.key, r.depth) for r in table.rows]
    table.columns = [scrub(c) for c in table.columns]
    table.values = [[scrub(v) if isinstance(v, str) else v for v in row] for row in table.values]
    table.title = scrub(table.title)
    return table
