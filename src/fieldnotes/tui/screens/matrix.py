"""The matrix screen: a theme matrix (codes x documents, cases or attribute
values) with heat-shaded cells; Enter on a cell lists its passages, Enter on a
passage jumps to it.

The matrix is computed in a thread worker on a connection of its own (a large
project takes seconds, and the pseudonymised labels may first bring detection
up to date); the table shows a loading state meanwhile, and the handler of
:class:`MatrixScreen.Ready` shows the result."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from fieldnotes.analysis.matrix import MEASURES
from fieldnotes.export.tables import heat_step
from fieldnotes.tui.messages import Jump


class MatrixScreen(Screen[Jump | None]):
    DEFAULT_CSS = """
    MatrixScreen #matrix-settings { height: 1; padding: 0 1; background: $panel; }
    MatrixScreen #matrix-status { height: 1; padding: 0 1; color: $text-muted; }
    MatrixScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("c", "cycle_cols", "Columns", id="matrix.cols"),
        Binding("m", "cycle_measure", "Measure", id="matrix.measure"),
        Binding("p", "toggle_percent", "Percent", id="matrix.percent"),
        Binding("escape,q", "close", "Close", id="matrix.close"),
    ]

    def __init__(self, project, *, pseudonymised: bool = False) -> None:
        super().__init__()
        self.project = project
        #: A cell's passages are listed in pseudonymised words.
        self.pseudonymised = pseudonymised
        attrs = [f"attr:{name}" for name in project.attributes.names()]
        # The study's first two key attributes (phase and role by default) come first.
        preferred = [f"attr:{name}" for name in project.study.key_attributes(limit=2)]
        self.col_choices = preferred + ["documents", "cases"] + [a for a in attrs if a not in preferred]
        self.cols = self.col_choices[0]
        self.measure = "passages"
        self.percent = False
        #: The matrix on screen, and the settings it was computed for.
        self.table = None
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("", id="matrix-settings")
            yield DataTable(id="matrix", cursor_type="cell", zebra_stripes=False)
            yield Static("Enter on a cell lists its passages · c columns · m measure · p percent", id="matrix-status")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    class Ready(Message):
        """A matrix computed by the worker for ``settings`` (columns, measure,
        percent), or the error that stopped it."""

        def __init__(self, settings: tuple, table=None, error: Exception | None = None) -> None:
            super().__init__()
            self.settings = settings
            self.table = table
            self.error = error

    @property
    def settings(self) -> tuple:
        return (self.cols, self.measure, self.percent)

    def reload(self) -> None:
        """Compute the matrix for the current settings off the UI thread; the
        table shows a loading state until :meth:`_ready` shows it."""
        self.query_one(DataTable).loading = True
        # The labels are pseudonymised: new or changed documents are checked for names first.
        stale = len(self.project.pseudonyms.stale_documents())
        self.query_one("#matrix-settings", Static).update(
            f"Detecting names in {stale} new or changed document(s), then the matrix…" if stale else
            f"Computing the matrix: columns {self.cols} · measure {self.measure}…", layout=False)
        self._compute(self.settings)

    @work(thread=True, exclusive=True, group="matrix")
    def _compute(self, settings: tuple) -> None:
        """In a worker thread, on a connection of its own: it only posts a message."""
        from fieldnotes.analysis.matrix import code_matrix
        from fieldnotes.project import Project

        cols, measure, percent = settings
        try:
            with Project.open(self.project.path, self.project.coder) as project:
                table = code_matrix(project, cols=cols, measure=measure, percent=percent)
                # Through the pseudonymised view, which refuses when detection cannot run.
                table = project.pseudonyms.pseudonymise_table(table)
        except Exception as exc:  # noqa: BLE001 - shown to the researcher in the handler
            self.post_message(self.Ready(settings, error=exc))
            return
        self.post_message(self.Ready(settings, table))

    @on(Ready)
    def _ready(self, message: Ready) -> None:
        if message.settings != self.settings:
            return  # computed for settings changed since; their own worker follows
        grid = self.query_one(DataTable)
        grid.loading = False
        if message.error is not None:
            self.notify(str(message.error), severity="error")
            if self._shown is None:
                self.query_one("#matrix-settings", Static).update("No matrix: see the message.", layout=False)
            else:  # the matrix on screen stays, with its own settings
                self.cols, self.measure, self.percent = self._shown
                self._show_settings()
            return
        self.table = message.table
        self._shown = message.settings
        self._show_settings()
        grid.clear(columns=True)
        grid.add_column(self.table.corner or "Code", key="__row__")
        for i, column in enumerate(self.table.columns):
            grid.add_column(column, key=str(i))
        if self.table.row_totals is not None:
            grid.add_column("Total", key="__total__")
        peak = max((v for row in self.table.values for v in row if isinstance(v, (int, float))), default=0) or 1
        for r, header in enumerate(self.table.rows):
            cells = [Text("  " * header.depth + header.label, style="bold" if header.depth == 0 else "")]
            for value in self.table.values[r]:
                cells.append(_heat(value, peak, self.percent))
            if self.table.row_totals is not None:
                cells.append(Text(_fmt(self.table.row_totals[r], self.percent), style="bold"))
            grid.add_row(*cells, key=str(r))

    def _show_settings(self) -> None:
        self.query_one("#matrix-settings", Static).update(
            f"[b]{self.table.title}[/b]   columns: {self.cols} · measure: {self.measure}"
            + (" · % of column" if self.percent else "") + " · pseudonymised labels", layout=False)

    def action_cycle_cols(self) -> None:
        self.cols = self.col_choices[(self.col_choices.index(self.cols) + 1) % len(self.col_choices)]
        self.reload()

    def action_cycle_measure(self) -> None:
        self.measure = MEASURES[(MEASURES.index(self.measure) + 1) % len(MEASURES)]
        self.reload()

    def action_toggle_percent(self) -> None:
        self.percent = not self.percent
        self.reload()

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        if self.table is None or self._shown != self.settings:
            return  # nothing shown yet, or a new matrix is on its way
        row, col = event.coordinate.row, event.coordinate.column - 1
        if not (0 <= row < len(self.table.rows)) or not (0 <= col < len(self.table.columns)):
            return
        code = self.table.rows[row].key
        filter_text = self._filter_for(col)
        from fieldnotes.tui.screens.retrieval import RetrievalScreen

        def back(jump: Jump | None) -> None:
            if jump is not None:
                self.dismiss(jump)  # not returned: Textual would await it inside this handler

        self.app.push_screen(RetrievalScreen(self.project, code, filter_text, pseudonymised=self.pseudonymised),
                             callback=back)

    def _filter_for(self, col: int) -> str:
        """The retrieval filter that selects this column's documents."""
        label = self.table.columns[col]
        keys = getattr(self.table, "column_keys", None)
        raw = keys[col] if keys else label
        if self.cols == "documents":
            return f"document={raw}"
        if self.cols == "cases":
            return f"case={raw}"
        names = [c.split(":", 1)[1] for c in self.cols.split(",")]
        if len(names) == 1:
            return f"{names[0]}={raw}"
        parts = [p.split("=", 1)[1].strip() for p in str(raw).split("·")]
        return " ".join(f"{n}={v}" for n, v in zip(names, parts))

    def action_close(self) -> None:
        self.dismiss(None)


def _fmt(value, percent: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}%" if percent else f"{value:.1f}"
    return str(value)


def _heat(value, peak: float, percent: bool) -> Text:
    """A cell shaded by its value (more = stronger), its number always shown,
    so nothing depends on colour alone."""
    text = _fmt(value, percent)
    if not isinstance(value, (int, float)) or not value:
        return Text(text, style="dim")
    step = heat_step(min(1.0, value / peak))
    if step is None:  # below zero: not a count
        return Text(text, style="dim")
    ink, colour = step
    return Text(f" {text} ", style=f"{ink} on {colour}")
