"""Every key binding, grouped by section."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

Section = tuple[str, Sequence[tuple[str, str]]]


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys and what they do, by section ("Reading",
    "Codebook", ...). Escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > #help {
        width: 90%;
        max-width: 90;
        height: auto;
        max-height: 90%;
        background: $panel;
        border: round $primary;
        border-title-color: $text;
        padding: 0 1;
    }
    HelpScreen .help-section {
        text-style: bold;
        color: $text-primary;
        margin-top: 1;
    }
    """

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close", key_display="esc"),
    ]

    def __init__(self, sections: Sequence[Section]) -> None:
        super().__init__()
        self.sections = [(title, list(keys)) for title, keys in sections]

    def compose(self) -> ComposeResult:
        width = max((len(key) for _, keys in self.sections for key, _ in keys), default=0)
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Keys"
            scroll.can_focus = True
            for title, keys in self.sections:
                yield Static(title, classes="help-section", markup=False)
                rows = [
                    Content.assemble(("  " + key.ljust(width), "bold"), "  ", description)
                    for key, description in keys
                ]
                yield Static(Content("\n").join(rows), classes="help-keys")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
