"""The documents pane: every document with kind, cases, the study's first
two key attributes (phase and role unless the project names others), words
and codings; sortable, with a filter box (words, or ``name=value`` terms)."""

from __future__ import annotations

import re
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input

from fieldnotes.errors import FieldnotesError
from fieldnotes.terminal import visible_controls

_TERM = re.compile(r"(\w+)=")


def parse_filter(query: str) -> tuple[list[tuple[str, str]], str]:
    """``phase=2 role=SW CP caseload`` -> ([("phase", "2"), ("role", "SW CP")], "")
    Free words before the first ``name=`` are a text filter."""
    matches = list(_TERM.finditer(query))
    if not matches:
        return [], query.strip()
    free = query[: matches[0].start()].strip()
    pairs = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(query)
        pairs.append((m.group(1), query[m.end():end].strip().strip(",")))
    return pairs, free


class DocumentsPane(Vertical):
    DEFAULT_CSS = """
    DocumentsPane { width: 34%; min-width: 24; border-right: solid $panel-lighten-2; }
    DocumentsPane > Input { height: 3; border: tall $panel; }
    DocumentsPane > DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("o", "cycle_sort", "Sort", id="documents.sort"),
        Binding("slash", "focus_filter", "Filter", show=False, id="documents.filter"),
    ]
    #: The columns around the key attributes, which come from the project.
    LEADING = ("document", "kind", "case")
    TRAILING = ("words", "codings")
    #: How many key attributes the pane has room for.
    KEY_ATTRIBUTES = 2

    class Opened(Message):
        def __init__(self, document: str) -> None:
            self.document = document
            super().__init__()

    def __init__(self, project, *, pseudonymised: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.project = project
        #: Cases and attributes shown (and filtered) pseudonymised.
        self.pseudonymised = pseudonymised
        self._sort = 0
        self._rows: list = []
        #: The study's key attributes shown as columns (``project.study``).
        self.attributes = tuple(project.study.key_attributes(limit=self.KEY_ATTRIBUTES))
        self.columns = (*self.LEADING, *self.attributes, *self.TRAILING)

    def compose(self) -> ComposeResult:
        # The example names the study's own key attributes (values left out:
        # in a pseudonymised-only workspace they could name a place).
        example = " ".join(f"{name}=…" for name in self.attributes) or "kind=interview"
        yield Input(placeholder=f"filter: words or {example}", id="documents-filter")
        table = DataTable(id="documents-table", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in self.columns:
            table.add_column(column, key=column)
        self.reload()

    def reload(self, keep: str | None = None) -> None:
        table = self.query_one(DataTable)
        query = self.query_one(Input).value
        where, free = parse_filter(query)
        try:
            docs = self.project.documents(where)
        except FieldnotesError as exc:
            self.notify(str(exc), severity="warning", timeout=4)
            docs = self.project.documents()
        # A document's name can hold a participant's (Jodie_Mensah_interview.txt): shown
        # as exports name it, while the row's key stays the name the project knows.
        shown = (lambda name: name)
        if self.pseudonymised:
            docs = self.project.reading.documents_as_read(docs, pseudonymised=True)
            as_read = self.project.reading.names_as_read(pseudonymised=True)
            shown = (lambda name: as_read("document", name))
        if free:
            low = free.casefold()
            docs = [d for d in docs if low in " ".join([shown(d.name), d.kind, *d.cases, *map(str, d.attributes.values())]).casefold()]
        key = self.columns[self._sort]
        docs.sort(key=lambda d: _sort_value(d, key), reverse=key in self.TRAILING)
        self._rows = docs
        current = keep or self.current
        table.clear()
        for d in docs:
            # A Text, not a str: a file name is neither markup nor terminal control.
            table.add_row(Text(visible_controls(shown(d.name))), d.kind, ", ".join(d.cases),
                          *(Text(visible_controls(str(d.attributes.get(a, "")))) for a in self.attributes),
                          f"{d.words:,}", str(d.codings), key=d.name)
        if current is not None:
            try:
                table.move_cursor(row=table.get_row_index(current))
            except Exception:
                pass

    def refresh_counts(self) -> None:
        """Update the codings column in place (the list itself is unchanged
        unless documents were imported, which calls :meth:`reload`)."""
        table = self.query_one(DataTable)
        counts = {d.name: d for d in self.project.documents()}
        if set(counts) != {d.name for d in self._rows} and not self.query_one(Input).value:
            self.reload()
            return
        for row in self._rows:
            fresh = counts.get(row.name)
            if fresh is not None and fresh.codings != row.codings:
                table.update_cell(row.name, "codings", str(fresh.codings))
        # Only the counts change: the rows keep their cases and attributes as shown.
        self._rows = [replace(r, codings=counts[r.name].codings) if r.name in counts else r for r in self._rows]

    @property
    def current(self) -> str | None:
        table = self.query_one(DataTable)
        if not self._rows or table.cursor_row is None or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row].name

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Opened(str(event.row_key.value)))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self._sort = self.columns.index(str(event.column_key.value))
        self.reload()

    def action_cycle_sort(self) -> None:
        self._sort = (self._sort + 1) % len(self.columns)
        self.reload()
        self.notify(f"Sorted by {self.columns[self._sort]}", timeout=1.5)

    def action_focus_filter(self) -> None:
        self.query_one(Input).focus()


def _sort_value(doc, key: str):
    if key == "document":
        return doc.name
    if key == "kind":
        return (doc.kind, doc.name)
    if key == "case":
        return (", ".join(doc.cases), doc.name)
    if key in {"words", "codings"}:
        return getattr(doc, key)
    return (str(doc.attributes.get(key, "")), doc.name)  # a key attribute
