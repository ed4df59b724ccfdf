"""Small modal dialogs: confirm, prompt for a line, choose one, edit a memo.

Each one dismisses with its answer, and with None (False for
:class:`ConfirmDialog`) on Escape.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, TextArea

#: Shared look: a bordered panel in the middle of the screen.
_DIALOG_CSS = """
{cls} {{
    align: center middle;
}}
{cls} > .dialog {{
    width: 90%;
    max-width: {width};
    height: auto;
    max-height: 90%;
    background: $panel;
    border: round $primary;
    border-title-color: $text;
    padding: 0 1;
}}
{cls} .hint {{
    color: $text-muted;
}}
"""


def _css(cls: str, width: int, extra: str = "") -> str:
    return _DIALOG_CSS.format(cls=cls, width=width) + extra


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question: True for yes (y, or Enter on the yes button),
    False for no (n, Escape)."""

    DEFAULT_CSS = _css("ConfirmDialog", 60, """
    ConfirmDialog #confirm-message {
        width: 1fr;
        margin: 1 0;
    }
    ConfirmDialog #confirm-buttons {
        height: auto;
        align-horizontal: right;
    }
    ConfirmDialog Button {
        margin-left: 2;
    }
    """)

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
    ]

    def __init__(self, message: str, yes: str = "Delete", no: str = "Cancel") -> None:
        super().__init__()
        self.message = message
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.message, id="confirm-message", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
                yield Button(f"{self.no} (n)", id="confirm-no")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text: Enter gives it stripped (empty gives None)."""

    DEFAULT_CSS = _css("PromptDialog", 70, """
    PromptDialog Input {
        margin: 1 0 0 0;
    }
    """)

    BINDINGS = [
        Binding("enter", "accept", "Accept", id="prompt.accept", priority=True),
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.dialog_title = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = self.dialog_title
            yield Input(self.value, placeholder=self.placeholder, id="prompt-value")
            yield Label("Enter accepts · Esc cancels", classes="hint")
        yield Footer()

    def action_accept(self) -> None:
        self.dismiss(self.query_one(Input).value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[object | None]):
    """Choose one of ``options`` (label, value): Enter gives the value."""

    DEFAULT_CSS = _css("ChoiceDialog", 70, """
    ChoiceDialog OptionList {
        height: auto;
        max-height: 16;
        margin: 1 0 0 0;
    }
    """)

    BINDINGS = [
        Binding("enter", "choose", "Choose", id="choice.choose", priority=True),
        Binding("escape", "cancel", "Cancel", id="choice.cancel"),
    ]

    def __init__(self, title: str, options: Sequence[tuple[str, object]]) -> None:
        super().__init__()
        self.dialog_title = title
        self.options = list(options)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = self.dialog_title
            # Labels are shown as typed: a document name may hold "[...]".
            option_list = OptionList(*(label for label, _ in self.options), id="choice-options", markup=False)
            yield option_list
            yield Label("Enter chooses · Esc cancels", classes="hint")
        yield Footer()

    def action_choose(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None:
            self.dismiss(self.options[index][1])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # a click
        self.dismiss(self.options[event.option_index][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class MemoEditor(ModalScreen[str | None]):
    """Write or edit a memo: F2 or Ctrl+T saves (dismisses with the text),
    Escape cancels (None)."""

    DEFAULT_CSS = _css("MemoEditor", 100, """
    MemoEditor > .dialog {
        height: 80%;
    }
    MemoEditor TextArea {
        height: 1fr;
    }
    """)

    BINDINGS = [
        Binding("f2,ctrl+t", "save", "Save", id="memo.save", key_display="F2"),
        Binding("escape", "cancel", "Cancel", id="memo.cancel"),
    ]

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__()
        self.dialog_title = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = self.dialog_title
            yield TextArea(self.text, soft_wrap=True, id="memo-text")
            yield Label("F2 or Ctrl+T saves · Esc cancels", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        text_area = self.query_one(TextArea)
        text_area.focus()
        text_area.move_cursor(text_area.document.end)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
