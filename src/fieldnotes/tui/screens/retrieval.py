"""Retrieval: every passage of a code, with who said it, filtered by attribute."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from fieldnotes.coding.model import Passage
from fieldnotes.errors import FieldnotesError
from fieldnotes.terminal import visible_controls
from fieldnotes.tui.messages import Jump

#: Characters of a passage shown in the list (the rest is a click away).
TEXT_LIMIT = 300
#: A term starts with ``name=`` at the start or after a space or comma.
_TERM = re.compile(r"(?:^|(?<=[\s,]))([^\s,=]+)\s*=")


def parse_filter(text: str) -> list[tuple[str, str]]:
    """Attribute filters typed as ``name=value`` terms into ``where`` pairs.

    Terms are separated by spaces or commas; a value runs until the next
    ``name=``, so it may hold spaces; commas inside a value give several
    values of one attribute (any of them matches)::

        >>> parse_filter("phase=2 role=SW CP, SW LAC")
        [('phase', '2'), ('role', 'SW CP'), ('role', 'SW LAC')]
    """
    terms = list(_TERM.finditer(text))
    before = text[: terms[0].start()] if terms else text
    if before.strip(" ,"):
        raise FieldnotesError(
            f"'{before.strip(' ,')}' is not a filter; write name=value, for example phase=2 role=SW CP."
        )
    where: list[tuple[str, str]] = []
    for term, following in zip(terms, [*terms[1:], None]):
        name = term.group(1)
        raw = text[term.end(): following.start() if following else len(text)]
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not values:
            raise FieldnotesError(f"'{name}=' needs a value, for example {name}=2.")
        where += [(name, value) for value in values]
    return where


def passage_prompt(passage: Passage, code_path: str, shown=None) -> Content:
    """Document, speaker and attribution on one line; the text, whitespace
    collapsed and cut at :data:`TEXT_LIMIT`, below. ``shown`` (kind, name)
    gives the document and sub-code names as the coder reads them."""
    shown = shown or (lambda kind, value: value)
    text = " ".join(passage.text.split())
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT].rsplit(" ", 1)[0] + " …"
    sub_code = shown("code", passage.code[len(code_path) + 1:]) if passage.code != code_path else ""
    heading = Content.assemble(
        (shown("document", passage.document), "bold"),
        f"  {passage.speaker}" if passage.speaker else "",
        (f"  {passage.attribution}", "italic") if passage.attribution else "",
        (f"  [{sub_code}]", "dim") if sub_code else "",
    )
    whole = Content.assemble(heading, "\n", "  ", text)
    # Control characters from the file shown as symbols (same length: the styles still fit).
    return Content(visible_controls(whole.plain), whole.spans)


class RetrievalScreen(ModalScreen[Jump | None]):
    """The passages of a code and its sub-codes; Enter jumps to one.

    Dismisses with ``Jump(document, start, end)`` of the chosen passage, or None.
    """

    DEFAULT_CSS = """
    RetrievalScreen {
        align: center middle;
    }
    RetrievalScreen > #retrieval {
        width: 95%;
        max-width: 120;
        height: 90%;
        background: $panel;
        border: round $primary;
        padding: 0 1;
    }
    RetrievalScreen #retrieval-title {
        text-style: bold;
        width: 1fr;
    }
    RetrievalScreen OptionList {
        height: 1fr;
    }
    RetrievalScreen #retrieval-status {
        width: 1fr;
        color: $text-muted;
    }
    RetrievalScreen #retrieval-status.error {
        color: $text-error;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="retrieval.close"),
        Binding("slash,f", "focus_filter", "Filter", id="retrieval.filter", key_display="/"),
        # Priority, so that the footer shows what Enter does where the focus is.
        Binding("enter", "apply_filter", "Apply filter", id="retrieval.apply", priority=True),
        Binding("enter", "open", "Open passage", id="retrieval.open", priority=True),
    ]

    def __init__(self, project, code: str, filter: str = "", *, pseudonymised: bool = False) -> None:
        super().__init__()
        self.project = project
        #: Passages shown in the pseudonymised text.
        self.pseudonymised = pseudonymised
        self.code_name = code
        self.code_path = code
        self.initial_filter = filter
        self._passages: list[Passage] = []
        #: (kind, name) -> the name as read; None shows names as recorded.
        self._shown = None

    def compose(self) -> ComposeResult:
        with Vertical(id="retrieval"):
            # Pseudonymised, the title waits for the code's name as read (on mount).
            title = "" if self.pseudonymised else f"{self.code_name} (sub-codes included)"
            yield Label(title, id="retrieval-title", markup=False)
            yield Input(self.initial_filter, placeholder="filter: phase=2 role=SW CP (Enter applies)",
                        id="retrieval-filter")
            yield Label("", id="retrieval-status", markup=False)
            yield OptionList(id="retrieval-passages")
        yield Footer()

    def on_mount(self) -> None:
        try:
            self.code_path = self.project.codebook.code(self.code_name).path
            # Code and document names can name a participant: as read, in the pseudonymised text.
            self._shown = self.project.reading.names_as_read(pseudonymised=True) if self.pseudonymised else None
        except FieldnotesError as exc:
            self._status(str(exc), error=True)
            return
        shown_path = self._shown("code", self.code_path) if self._shown else self.code_path
        self.query_one("#retrieval-title", Label).update(f"{shown_path} (sub-codes included)")
        self.show_passages(parse_filter(self.initial_filter) if self.initial_filter else [])
        self.query_one(OptionList).focus()

    def _status(self, message: str, *, error: bool = False) -> None:
        status = self.query_one("#retrieval-status", Label)
        status.update(message)
        status.set_class(error, "error")

    def show_passages(self, where: list[tuple[str, str]]) -> bool:
        """List the code's passages in documents matching ``where``; a problem
        (an unknown attribute, a wrong value) goes to the status line."""
        try:
            passages = self.project.coding.passages(self.code_path, where=where)
            if self.pseudonymised:
                passages = self.project.reading.passages_as_read(passages, pseudonymised=True)
        except FieldnotesError as exc:
            self._status(str(exc), error=True)
            return False
        self._passages = passages
        option_list = self.query_one(OptionList)
        option_list.set_options(Option(passage_prompt(p, self.code_path, self._shown)) for p in passages)
        if passages:
            option_list.highlighted = 0
        self.refresh_bindings()
        documents = len({p.document for p in passages})
        shown = ", ".join(f"{name}={value}" for name, value in where)
        self._status(
            f"{len(passages)} passage{'s' * (len(passages) != 1)} in {documents} "
            f"document{'s' * (documents != 1)}" + (f" where {shown}" if shown else "")
        )
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        in_filter = isinstance(self.focused, Input)
        if action == "apply_filter":
            return in_filter
        if action == "open":
            return not in_filter and self.query_one(OptionList).highlighted is not None
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def action_apply_filter(self) -> None:
        try:
            where = parse_filter(self.query_one(Input).value)
        except FieldnotesError as exc:
            self._status(str(exc), error=True)
            return
        if self.show_passages(where) and self._passages:
            self.query_one(OptionList).focus()

    def action_focus_filter(self) -> None:
        self.query_one(Input).focus()

    def action_open(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and index < len(self._passages):
            self._jump(index)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._jump(event.option_index)

    def _jump(self, index: int) -> None:
        passage = self._passages[index]
        self.dismiss(Jump(passage.document, passage.start, passage.end))

    def action_cancel(self) -> None:
        self.dismiss(None)
