"""Full-text search across the project's documents."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from fieldnotes.errors import FieldnotesError
from fieldnotes.model import SearchHit
from fieldnotes.terminal import visible_controls
from fieldnotes.tui.messages import Jump

#: Most hits shown for one query.
LIMIT = 200
#: Seconds of quiet typing before the results follow the query.
PAUSE = 0.3
_MOVE = Binding.Group("Move")


def hit_prompt(hit: SearchHit, shown=None) -> Content:
    """Document, offset and speaker on one line; the snippet with the hit
    highlighted below. ``shown`` (kind, name) gives the document's name as
    the coder reads it."""
    start, end = hit.snippet_hit
    heading = Content.assemble(
        (shown("document", hit.document) if shown else hit.document, "bold"),
        (f"  @{hit.start}", "dim"),
        (f"  {hit.speaker}", "italic") if hit.speaker else "",
    )
    snippet = Content.assemble(
        "  ",
        hit.snippet[:start],
        (hit.snippet[start:end], "bold reverse"),
        hit.snippet[end:],
    )
    whole = Content.assemble(heading, "\n", snippet)
    # Control characters from the file shown as symbols (same length: the styles still fit).
    return Content(visible_controls(whole.plain), whole.spans)


class SearchScreen(ModalScreen[Jump | None]):
    """Search words, "phrases", prefix* and OR; Enter on a hit jumps to it.

    Dismisses with ``Jump(document, start, end)`` of the chosen hit, or None.
    """

    DEFAULT_CSS = """
    SearchScreen {
        align: center middle;
    }
    SearchScreen > #search {
        width: 95%;
        max-width: 120;
        height: 90%;
        background: $panel;
        border: round $primary;
        border-title-color: $text;
        padding: 0 1;
    }
    SearchScreen OptionList {
        height: 1fr;
    }
    SearchScreen #search-status {
        width: 1fr;
        color: $text-muted;
        margin: 0 0 1 0;
    }
    SearchScreen #search-status.error {
        color: $text-error;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="search.close"),
        # Priority: the hits move and Enter works while typing in the Input.
        Binding("up", "move(-1)", "Previous", id="search.up", group=_MOVE, priority=True),
        Binding("down", "move(1)", "Next", id="search.down", group=_MOVE, priority=True),
        Binding("enter", "search", "Search", id="search.run", priority=True),
        Binding("enter", "open", "Open hit", id="search.open", priority=True),
    ]

    def __init__(self, project, query: str = "", *, pseudonymised: bool = False) -> None:
        super().__init__()
        self.project = project
        #: Snippets from the pseudonymised text (hits on replaced names dropped).
        self.pseudonymised = pseudonymised
        self.initial_query = query
        self._hits: list[SearchHit] = []
        #: The query the shown hits belong to (None: nothing searched yet).
        self._shown_for: str | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="search") as dialog:
            dialog.border_title = "Search"
            yield Input(
                self.initial_query,
                placeholder='words, "a phrase", prefix*, a OR b, NOT c',
                id="search-query",
            )
            yield Label("Enter searches; Enter again opens the highlighted hit.", id="search-status", markup=False)
            yield OptionList(id="search-hits")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.initial_query.strip():
            self.run_search(self.initial_query)

    def run_search(self, query: str) -> None:
        """Search now and show the hits, or the problem with the query."""
        self._cancel_timer()
        self.refresh_bindings()
        status = self.query_one("#search-status", Label)
        option_list = self.query_one(OptionList)
        query = query.strip()
        self._shown_for = query
        if not query:
            self._hits = []
            option_list.clear_options()
            status.update("Type words to search for.")
            status.remove_class("error")
            return
        try:
            hits = self.project.reading.search_as_read(query, limit=LIMIT, pseudonymised=self.pseudonymised)
            # A document's name can name a participant: as read, in the pseudonymised text.
            shown = self.project.reading.names_as_read(pseudonymised=True) if self.pseudonymised and hits else None
        except FieldnotesError as exc:
            self._hits = []
            option_list.clear_options()
            status.update(str(exc))
            status.add_class("error")
            return
        self._hits = hits
        option_list.set_options(Option(hit_prompt(h, shown)) for h in hits)
        if hits:
            option_list.highlighted = 0
        documents = len({h.document for h in hits})
        if not hits:
            status.update(f"No hits for {query}.")
        else:
            more = f" (the first {LIMIT}; narrow the search for the rest)" if len(hits) >= LIMIT else ""
            status.update(
                f"{len(hits)} hit{'s' * (len(hits) != 1)} in {documents} "
                f"document{'s' * (documents != 1)}{more}"
            )
        status.remove_class("error")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self._cancel_timer()
        self.refresh_bindings()
        if event.value.strip() == self._shown_for:
            return
        self._timer = self.set_timer(PAUSE, lambda: self.run_search(self.query_one(Input).value))

    def _stale(self) -> bool:
        """Whether the Input holds a query the hits shown are not for."""
        return self.query_one(Input).value.strip() != self._shown_for

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Enter searches while the query is new, then opens the highlighted hit.
        if action == "search":
            return self._stale()
        if action == "open":
            return not self._stale() and self.query_one(OptionList).highlighted is not None
        return True

    def action_search(self) -> None:
        self.run_search(self.query_one(Input).value)

    def action_open(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and index < len(self._hits):
            self._jump(index)

    def action_move(self, step: int) -> None:
        option_list = self.query_one(OptionList)
        if step < 0:
            option_list.action_cursor_up()
        else:
            option_list.action_cursor_down()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._jump(event.option_index)

    def _jump(self, index: int) -> None:
        hit = self._hits[index]
        self._cancel_timer()
        self.dismiss(Jump(hit.document, hit.start, hit.end))

    def action_cancel(self) -> None:
        self._cancel_timer()
        self.dismiss(None)
