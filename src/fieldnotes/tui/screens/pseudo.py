"""Review pseudonyms: entities by category with counts and documents, each
mention in context, and keys to accept, reject, edit, merge and split.

Q switches to the residual-risk queue: what detection did not flag but a
reviewer should read (ranked); a masks an item as an entity of a chosen
category, r keeps it (adds it to the project's allowlist); u undoes."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from fieldnotes.errors import FieldnotesError
from fieldnotes.tui.messages import Jump, WorkDone, error_line


#: Widest entity name and replacement shown in the table (longer ones end in …).
LABEL_WIDTH = 26
REPLACEMENT_WIDTH = 18


def _widths(table_width: int) -> tuple[int, int]:
    """Widths for the entity and replacement columns so that id, entity,
    status and replacement fit the table (each column pads 1 either side)."""
    room = table_width - 5 - 11 - 4 - 2  # id and status with padding, the two others' padding, the scrollbar
    replacement = max(8, min(REPLACEMENT_WIDTH, room // 2))
    return max(10, min(LABEL_WIDTH, room - replacement)), replacement


def _cut(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


#: Said when an entity action is asked for in the residual queue.
_QUEUE_HINT = "In the queue: a masks, r allows; Q goes back to entities."


class PseudoScreen(Screen[Jump | None]):
    DEFAULT_CSS = """
    PseudoScreen #entities { width: 55%; }
    PseudoScreen #mentions-box { width: 1fr; border-left: solid $panel-lighten-2; }
    PseudoScreen #pseudo-status { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    PseudoScreen #mentions-title { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        # Detect and Close first: an 80-column footer drops what does not fit,
        # and the screen tells the reader to press D.
        Binding("D", "detect", "Detect", id="pseudo.detect"),
        Binding("Q", "toggle_queue", "Residual queue", id="pseudo.queue"),
        Binding("u", "undo", "Undo", id="pseudo.undo"),
        Binding("escape,q", "close", "Close", id="pseudo.close"),
        Binding("a", "decide('accepted')", "Accept", id="pseudo.accept"),
        Binding("r", "decide('rejected')", "Reject", id="pseudo.reject"),
        Binding("e", "edit", "Edit", id="pseudo.edit"),
        Binding("M", "merge", "Merge", id="pseudo.merge"),
        Binding("S", "split", "Split", id="pseudo.split"),
        Binding("A", "accept_all", "Accept all", show=False, id="pseudo.accept_all"),
    ]

    def __init__(self, project) -> None:
        super().__init__()
        self.project = project
        self._rows = []
        self.mode = "entities"  # or "queue": the residual-risk queue
        self._items = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            table = DataTable(id="entities", cursor_type="row", zebra_stripes=True)
            yield table
            with Vertical(id="mentions-box"):
                yield Static("", id="mentions-title")
                yield OptionList(id="mentions")
        yield Static("", id="pseudo-status")
        yield Footer()

    # The decision and its result next to the name, before the counts, so
    # they stay on screen at 120 (and 80) columns.
    ENTITY_COLUMNS = ("id", "entity", "status", "replacement", "category", "mentions", "docs")
    QUEUE_COLUMNS = ("#", "text", "as", "seen", "why")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in self.ENTITY_COLUMNS:
            table.add_column(column, key=column)
        self.reload()
        table.focus()

    def reload(self, keep: int | None = None) -> None:
        if self.mode == "queue":
            self._reload_queue()
            return
        table = self.query_one(DataTable)
        keep = keep if keep is not None else self.current
        self._rows = self.project.pseudonyms.entities()
        table.clear()
        label_width, replacement_width = _widths(int(self.app.size.width * 0.55))
        for e in self._rows:
            # A rejected entity is left as written: it has no replacement.
            replacement = Text("as written", style="dim") if e.status == "rejected" else \
                _cut(e.replacement + (" ✎" if e.manual else ""), replacement_width)
            table.add_row(f"E{e.id}", _cut(e.label, label_width), e.status, replacement, e.category,
                          str(e.mentions), str(e.documents), key=str(e.id))
        counts = {s: sum(e.status == s for e in self._rows) for s in ("suggested", "accepted", "rejected")}
        self.query_one("#pseudo-status", Static).update(
            f"{len(self._rows)} entities: {counts['suggested']} suggested, {counts['accepted']} accepted, "
            f"{counts['rejected']} rejected · suggested ones are replaced in exports too · real names: keep this screen private",
            layout=False)
        if keep is not None:
            try:
                table.move_cursor(row=table.get_row_index(str(keep)))
            except Exception:
                pass
        self._show_mentions()

    @property
    def current(self) -> int | None:
        table = self.query_one(DataTable)
        if self.mode != "entities" or not self._rows or table.cursor_row is None or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row].id

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_mentions()

    # -- the residual-risk queue ------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In the queue only masking (a), allowing (r) and undo apply.
        if self.mode == "queue" and action in ("edit", "merge", "split", "accept_all"):
            return False
        return True

    def action_toggle_queue(self) -> None:
        table = self.query_one(DataTable)
        self.mode = "queue" if self.mode == "entities" else "entities"
        table.clear(columns=True)
        for column in self.QUEUE_COLUMNS if self.mode == "queue" else self.ENTITY_COLUMNS:
            table.add_column(column, key=column)
        self.reload()
        self.refresh_bindings()
        table.focus()

    @property
    def current_item(self):
        table = self.query_one(DataTable)
        if self.mode != "queue" or not self._items or table.cursor_row is None or table.cursor_row >= len(self._items):
            return None
        return self._items[table.cursor_row]

    def _reload_queue(self) -> None:
        # Reading every document takes a second or two on a large project:
        # off the event loop, on a connection of its own.
        self.query_one("#pseudo-status", Static).update("Residual queue: reading the documents…", layout=False)
        self.run_worker(self._load_queue, thread=True, exclusive=True, group="queue")

    def _load_queue(self) -> None:
        from fieldnotes.project import Project

        try:
            with Project.open(self.project.path) as project:
                items = project.pseudonyms.residual_queue(limit=300)
        except Exception as exc:  # noqa: BLE001 - reported; an exception here would close the workspace
            self.post_message(self.QueueReady([], error=exc))
            return
        self.post_message(self.QueueReady(items))

    class QueueReady(Message):
        """The residual queue, read by a worker, ready to show (or why not)."""

        def __init__(self, items, error: Exception | None = None) -> None:
            super().__init__()
            self.items = items
            self.error = error

    @on(QueueReady)
    def _queue_ready(self, message: QueueReady) -> None:
        if message.error is not None:
            self._report(message.error)
            return
        self._show_queue(message.items)

    @on(WorkDone)
    def _work_done(self, message: WorkDone) -> None:
        # A worker of this screen finished: say what happened, show the project anew.
        message.stop()
        if message.error is not None:
            self._report(message.error)
        elif message.text:
            self.notify(message.text, timeout=message.timeout)
        self.reload()

    def _show_queue(self, items) -> None:
        if self.mode != "queue":
            return
        table = self.query_one(DataTable)
        row = table.cursor_row or 0
        self._items = items
        table.clear()
        for n, item in enumerate(self._items, 1):
            table.add_row(str(n), item.text, item.category, f"{len(item.occurrences)}x/{item.documents}d",
                          "; ".join(item.reasons[:2]), key=f"q{n}")
        if self._items:
            table.move_cursor(row=min(row, len(self._items) - 1))
        self.query_one("#pseudo-status", Static).update(
            f"Residual queue: {len(self._items)} item(s) detection did not flag, most likely identifying first · "
            "a mask as… · r not identifying (allow) · u undo · Q back to entities",
            layout=False)
        self._show_occurrences()

    def _show_occurrences(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        item = self.current_item
        title = self.query_one("#mentions-title", Static)
        if item is None:
            title.update("Nothing left in the queue." if self.mode == "queue" else "", layout=False)
            return
        title.update(f"{len(item.occurrences)} occurrence(s) of {item.text}", layout=False)
        for o in item.occurrences[:200]:
            options.add_option(_context_option(o, Text(f"{o.document}\n", style="bold")))

    def _mask(self, item, category) -> None:
        if category:
            self._guard(self.project.pseudonyms.accept_residual, item.text, category)
            self.notify(f"Masked {item.text} as {category} (u undoes)", timeout=3)

    def _queue_decide(self, status: str) -> None:
        item = self.current_item
        if item is None:
            return
        if status == "rejected":
            self._guard(self.project.pseudonyms.allow, [item.text])
            self.notify(f"Allowed {item.text}: it stays as written (u undoes)", timeout=3)
            return
        from fieldnotes.pseudonymise.residual import ITEM_CATEGORIES
        from fieldnotes.tui.screens.dialogs import ChoiceDialog

        order = [item.category] + [c for c in ITEM_CATEGORIES if c != item.category]
        self.app.push_screen(ChoiceDialog(f"Mask {item.text} as", [(c, c) for c in order]),
                             callback=lambda category: self._mask(item, category))

    def action_undo(self) -> None:
        try:
            summary = self.project.history.undo()
        except FieldnotesError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.notify(f"Undone: {summary}", timeout=3)
        self.reload()

    def _show_mentions(self) -> None:
        if self.mode == "queue":
            self._show_occurrences()
            return
        options = self.query_one(OptionList)
        options.clear_options()
        entity = self.current
        if entity is None:
            self.query_one("#mentions-title", Static).update("No entities: press D to detect.", layout=False)
            return
        mentions = self.project.pseudonyms.mentions_of(entity)
        self.query_one("#mentions-title", Static).update(f"{len(mentions)} mention(s) of E{entity}", layout=False)
        for m in mentions:
            heading = Text.assemble((f"{m.document} ", "bold"), (f"{m.detector}\n", "dim"))
            options.add_option(_context_option(m, heading))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        document, start, end, _ = str(event.option.id).split("|", 3)
        self.dismiss(Jump(document, int(start), int(end)))

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            self._report(exc)
        self.reload()

    def _report(self, exc: BaseException) -> None:
        self.notify(error_line(exc, self.project.path), severity="error", markup=False)

    def action_decide(self, status: str) -> None:
        if self.mode == "queue":
            self._queue_decide(status)
            return
        if self.current is not None:
            self._guard(self.project.pseudonyms.set_entity_status, [self.current], status)

    def action_accept_all(self) -> None:
        if self.mode == "queue":
            self.notify(_QUEUE_HINT, severity="warning")
            return
        self._guard(self.project.pseudonyms.set_entity_status, None, "accepted")

    def action_edit(self) -> None:
        entity = self.current
        if entity is None:
            return
        from fieldnotes.tui.screens.dialogs import PromptDialog

        current = next(e.replacement for e in self._rows if e.id == entity)
        self.app.push_screen(PromptDialog(f"Replacement for E{entity}", current),
                             callback=lambda value: value and self._guard(self.project.pseudonyms.set_replacement, entity, value))

    def action_merge(self) -> None:
        if self.mode == "queue":
            self.notify(_QUEUE_HINT, severity="warning")
            return
        entity = self.current
        if entity is None:
            return
        from fieldnotes.tui.screens.dialogs import ChoiceDialog

        this = next(e for e in self._rows if e.id == entity)
        options = [(f"E{e.id} {e.label} ({e.category}, {e.mentions})", e.id) for e in self._rows
                   if e.id != entity and e.category == this.category]
        self.app.push_screen(ChoiceDialog(f"Merge E{entity} {this.label} into", options),
                             callback=lambda target: target and self._guard(self.project.pseudonyms.merge_entities, entity, target))

    def action_split(self) -> None:
        if self.mode == "queue":
            self.notify(_QUEUE_HINT, severity="warning")
            return
        entity = self.current
        highlighted = self.query_one(OptionList).highlighted
        if entity is None or highlighted is None:
            self.notify("Highlight a mention first: its document's mentions are split off.", severity="warning")
            return
        option = self.query_one(OptionList).get_option_at_index(highlighted)
        document = str(option.id).split("|", 1)[0]
        self._guard(lambda: self.project.pseudonyms.split_entity(entity, document=document))

    def action_detect(self) -> None:
        self.notify("Detecting… (the first run loads the language model)", timeout=3)
        self.run_worker(self._detect, thread=True, exclusive=True)

    def _detect(self) -> None:
        from fieldnotes.project import Project

        try:
            with Project.open(self.project.path) as project:
                report = project.pseudonyms.detect_entities()
            self.post_message(WorkDone(f"{report.message} {report.entities} entities."))
        except Exception as exc:  # noqa: BLE001 - reported; an exception here would close the workspace
            self.post_message(WorkDone(error=exc))

    def action_close(self) -> None:
        self.dismiss(None)


def _context_option(found, heading: Text) -> Option:
    """One line of the right-hand list: ``heading``, then the context with the
    found text (marked ``[like this]`` in the context) highlighted. The option
    id carries where it is, for the jump when it is picked."""
    line = heading.copy()
    before, _, rest = found.context.partition(f"[{found.text}]")
    line.append(before)
    line.append(found.text, style="reverse bold")
    line.append(rest)
    return Option(line, id=f"{found.document}|{found.start}|{found.end}|{found.text}")
