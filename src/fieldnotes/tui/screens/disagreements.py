"""Disagreement review: where coders coded a code differently, side by side,
settled one by one into the consensus coder's codings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from fieldnotes.errors import FieldnotesError
from fieldnotes.tui.messages import Jump

#: Characters of context shown around a disagreement on each side.
CONTEXT = 120


def side(text: str, start: int, end: int, ranges, coder: str) -> Content:
    """The passage with ``coder``'s coded ranges highlighted, some context around it."""
    left, right = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    parts: list = [(coder, "bold"), "\n", "…" if left else ""]
    pos = left
    for s, e in ranges:
        s, e = max(s, left), min(e, right)
        if s > pos:
            parts.append(text[pos:s])
        parts.append((text[s:e], "reverse"))
        pos = e
    parts.append(text[pos:right])
    parts.append("…" if right < len(text) else "")
    if not ranges:
        parts += ["\n", ("(did not code this)", "italic")]
    return Content.assemble(*parts)


class DisagreementScreen(ModalScreen[Jump | None]):
    """Passages where two coders differ; settle each into the consensus coding."""

    DEFAULT_CSS = """
    DisagreementScreen { align: center middle; }
    DisagreementScreen > #disagreements {
        width: 98%; height: 95%; background: $panel; border: round $primary; padding: 0 1;
    }
    DisagreementScreen #disagreement-title { text-style: bold; }
    DisagreementScreen #disagreement-status { color: $text-muted; }
    DisagreementScreen #disagreement-status.error { color: $text-error; }
    DisagreementScreen OptionList { height: 1fr; }
    DisagreementScreen #sides { height: 1fr; }
    DisagreementScreen .side { width: 1fr; height: 1fr; border: round $secondary; padding: 0 1; overflow-y: auto; }
    DisagreementScreen Input { display: none; }
    DisagreementScreen Input.shown { display: block; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="disagreements.close"),
        Binding("1", "settle('first')", "Take left", id="disagreements.first"),
        Binding("2", "settle('second')", "Take right", id="disagreements.second"),
        Binding("b", "settle('all')", "Both", id="disagreements.both"),
        Binding("n", "settle('neither')", "Neither", id="disagreements.neither"),
        Binding("a", "adjust", "Adjust", id="disagreements.adjust"),
        Binding("u", "undo", "Undo", id="disagreements.undo"),
        Binding("o", "open", "Open in text", id="disagreements.open"),
    ]

    def __init__(self, project, coders: list[str] | None = None, code: str | None = None,
                 document: str | None = None) -> None:
        super().__init__()
        self.project = project
        self.coders = coders
        self.code = code
        self.document = document
        self.items: list = []
        self._texts: dict = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="disagreements"):
            yield Label("Disagreements", id="disagreement-title", markup=False)
            yield Label("", id="disagreement-status", markup=False)
            yield OptionList(id="disagreement-list")
            with Horizontal(id="sides"):
                yield Static("", id="side-first", classes="side")
                yield Static("", id="side-second", classes="side")
            yield Input(placeholder="memo, then Enter (Escape: no memo)", id="disagreement-memo")
            yield Input(placeholder="adjusted range START-END in the document, then Enter", id="disagreement-span")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def _status(self, message: str, *, error: bool = False) -> None:
        status = self.query_one("#disagreement-status", Label)
        status.update(message)
        status.set_class(error, "error")

    def reload(self, keep: int = 0) -> None:
        from fieldnotes.team import disagreements

        try:
            self.items = disagreements(self.project, coders=self.coders, code=self.code, document=self.document)
        except FieldnotesError as exc:
            self.items = []
            self._status(str(exc), error=True)
            return
        options = self.query_one(OptionList)
        options.set_options(Option(self._prompt(d)) for d in self.items)
        open_ = sum(1 for d in self.items if d.settled is None)
        pair = " vs ".join(name for name, _ in self.items[0].ranges) if self.items else ""
        self._status(f"{len(self.items)} disagreement(s), {open_} to settle" + (f" · {pair}" if pair else ""))
        if self.items:
            options.highlighted = min(keep, len(self.items) - 1)
            self._show(options.highlighted)

    def _prompt(self, item) -> Content:
        mark = ("✓ " + item.settled, "green") if item.settled else ("open", "bold yellow")
        shown = self.project.reading.names_as_read()   # pseudonymised under the 'view' setting
        return Content.assemble((shown("document", item.document), "bold"),
                                f"  {shown('code', item.code)}  {item.start}-{item.end}  ", mark)

    def _reading(self, document: str):
        """The document as this coder may read it (pseudonymised under the
        'view' setting), with offsets mapped to and from the recorded text."""
        if document not in self._texts:
            self._texts[document] = self.project.reading.reading_text(document)
        return self._texts[document]

    def _show(self, index: int | None) -> None:
        if index is None or index >= len(self.items):
            return
        item = self.items[index]
        reading = self._reading(item.document)
        start, end = reading.to_view(item.start, item.end)
        first, second = item.ranges[0], item.ranges[1] if len(item.ranges) > 1 else ("", ())
        for widget, (coder, ranges) in (("#side-first", first), ("#side-second", second)):
            shown = [reading.to_view(s, e) for s, e in ranges]
            self.query_one(widget, Static).update(side(reading.text, start, end, shown, coder))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show(event.option_index)

    def _current(self):
        index = self.query_one(OptionList).highlighted
        return (index, self.items[index]) if index is not None and index < len(self.items) else (None, None)

    def action_settle(self, which: str, span: tuple[int, int] | None = None) -> None:
        index, item = self._current()
        if item is None:
            return
        choice = {"first": item.ranges[0][0], "second": item.ranges[-1][0]}.get(which, which)
        self._pending = (index, item, choice, span)
        memo = self.query_one("#disagreement-memo", Input)
        memo.value = ""
        memo.add_class("shown")
        memo.focus()
        self._status(f"Why? A memo for '{choice}' (Enter to settle, Escape to settle without one).")

    def action_adjust(self) -> None:
        index, item = self._current()
        if item is None:
            return
        field = self.query_one("#disagreement-span", Input)
        field.value = f"{item.start}-{item.end}"
        field.add_class("shown")
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "disagreement-span":
            event.input.remove_class("shown")
            try:
                start, end = (int(part) for part in event.value.replace(" ", "").split("-", 1))
            except ValueError:
                self._status("Type the range as START-END, e.g. 120-180.", error=True)
                self.query_one(OptionList).focus()
                return
            self.action_settle("adjusted", (start, end))
            return
        self._finish(event.value)

    def _finish(self, memo: str) -> None:
        from fieldnotes.team import settle

        field = self.query_one("#disagreement-memo", Input)
        field.remove_class("shown")
        index, item, choice, span = self._pending
        try:
            summary = settle(self.project, item, choice, span=span, memo=memo)
        except FieldnotesError as exc:
            self._status(str(exc), error=True)
        else:
            self.notify(summary, timeout=3)
            self.reload(keep=index + 1)
        self.query_one(OptionList).focus()

    def action_undo(self) -> None:
        index, _ = self._current()
        try:
            summary = self.project.history.undo()
        except FieldnotesError as exc:
            self._status(str(exc), error=True)
            return
        self.notify(f"Undone: {summary}", timeout=3)
        self.reload(keep=index or 0)

    def action_open(self) -> None:
        _, item = self._current()
        if item is not None:
            self.dismiss(Jump(item.document, item.start, item.end))

    def action_cancel(self) -> None:
        memo = self.query_one("#disagreement-memo", Input)
        if memo.has_class("shown"):
            self._finish("")      # Escape in the memo line: settle without a memo
            return
        span = self.query_one("#disagreement-span", Input)
        if span.has_class("shown"):
            span.remove_class("shown")
            self.query_one(OptionList).focus()
            return
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = isinstance(self.focused, Input)
        if action in {"settle", "adjust", "undo", "open"}:
            return not typing
        return True
