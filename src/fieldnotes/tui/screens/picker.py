"""The code picker: type a few letters of a code, pick it or create it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rapidfuzz import fuzz, utils
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from fieldnotes.codebook.model import Code
from fieldnotes.tui.messages import PickResult

#: How many ranked codes a query shows.
MAX_SHOWN = 50
#: Below this rapidfuzz score (0-100) a code does not match, unless the query
#: is a prefix of its name or path.
MIN_SCORE = 60
_MOVE = Binding.Group("Move")
HINT = "Enter chooses · a new name (Group/Code) creates it · Esc cancels"


def rank(codes: Sequence[Code], query: str) -> list[Code]:
    """Codes matching ``query``, best first: the better of rapidfuzz WRatio on
    the name and on the path, with a boost when the query starts the name (or
    the path). Ties keep tree order."""
    wanted = utils.default_process(query)
    if not wanted:
        return list(codes)
    scored = []
    for order, code in enumerate(codes):
        name, path = code.name.casefold(), code.path.casefold()
        score = max(
            fuzz.WRatio(wanted, code.name, processor=utils.default_process),
            fuzz.WRatio(wanted, code.path, processor=utils.default_process),
        )
        boost = 15 if name.startswith(wanted) else 10 if path.startswith(wanted) else 0
        if score >= MIN_SCORE or boost:
            scored.append((-(score + boost), order, code))
    scored.sort(key=lambda item: item[:2])
    return [code for *_, code in scored[:MAX_SHOWN]]


def typed_path(codes: Sequence[Code], query: str) -> tuple[str, str | None] | None:
    """A query typed as a path ("Practice approaches/Scaling questions") whose
    last part names no code under the named parent: ``(path to create, the
    existing parent's path or None)``. The parent is matched by path or by a
    name only one code has, in any case; None when the query has no "/" or
    the path exists already."""
    parts = [part.strip() for part in query.split("/")]
    if len(parts) < 2 or not all(parts):
        return None
    parent_typed = "/".join(parts[:-1]).casefold()
    by_path = {c.path.casefold(): c for c in codes}
    parent = by_path.get(parent_typed)
    if parent is None:
        named = [c for c in codes if c.name.casefold() == parent_typed]
        parent = named[0] if len(named) == 1 else None
    path = f"{parent.path}/{parts[-1]}" if parent else "/".join(parts)
    if path.casefold() in by_path:
        return None
    return path, parent.path if parent else None


def code_prompt(code: Code) -> Content:
    """One line: colour swatch, path, and the description's first line dimmed."""
    description = code.description.strip().splitlines()[0] if code.description.strip() else ""
    return Content.assemble(
        ("  ", f"on {code.colour}" if code.colour else "reverse"),
        " ",
        code.path,
        ("  " + description, "dim") if description else "",
    )


class CodePicker(ModalScreen[PickResult | None]):
    """Pick a code by fuzzy search; a query that names no code can create it.

    Dismisses with ``PickResult(path)`` for an existing code,
    ``PickResult(query, create=True)`` for a new one, or None on Escape.
    """

    DEFAULT_CSS = """
    CodePicker {
        align: center middle;
    }
    CodePicker > #picker {
        width: 90%;
        max-width: 100;
        height: 80%;
        max-height: 30;
        background: $panel;
        border: round $primary;
        border-title-color: $text;
        padding: 0 1;
    }
    CodePicker Input {
        margin-bottom: 1;
    }
    CodePicker OptionList {
        height: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    CodePicker #picker-hint {
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        # Priority: the list moves and Enter chooses while typing in the Input.
        Binding("up", "move(-1)", "Previous", id="picker.up", group=_MOVE, priority=True),
        Binding("down", "move(1)", "Next", id="picker.down", group=_MOVE, priority=True),
        Binding("enter", "choose", "Choose", id="picker.choose", priority=True),
    ]

    def __init__(self, project, recent: Sequence[str] = (), title: str = "Apply code") -> None:
        super().__init__()
        self.project = project
        self.recent = list(recent)
        self.dialog_title = title
        self._codes = project.codebook.codes(counts=False)
        #: The path each listed code stands for: itself, except under the
        #: 'view pseudonymised' setting, where names and paths are listed and
        #: matched as the coder may read them (a code named after a participant
        #: is neither shown nor found by that name) and a pick answers with
        #: the path the project knows.
        self._real = {c.path: c.path for c in self._codes}
        if project.reading.shows_pseudonymised():
            shown = project.reading.names_as_read(pseudonymised=True)
            listed = [replace(c, name=shown("code", c.name), path=shown("code", c.path),
                              description=shown("text", c.description), children=[]) for c in self._codes]
            self._real = {s.path: c.path for s, c in zip(listed, self._codes)}
            as_shown = {c.path: s.path for s, c in zip(listed, self._codes)}
            self.recent = [as_shown[r] for r in self.recent if r in as_shown]
            self._codes = listed
        #: What each option of the list stands for, by index.
        self._choices: list[PickResult] = []
        #: A new code waiting for its confirming Enter.
        self._confirming: PickResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="picker") as dialog:
            dialog.border_title = self.dialog_title
            yield Input(placeholder="Type part of a code's name or path", id="picker-query")
            yield OptionList(id="picker-codes")
            yield Label(HINT, id="picker-hint")
        yield Footer()

    def on_mount(self) -> None:
        self._show("")
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _query_changed(self, event: Input.Changed) -> None:
        if self._confirming is not None:
            self._unconfirm()
        self._show(event.value)

    def _show(self, query: str) -> None:
        query = query.strip()
        if query:
            codes = rank(self._codes, query)
        else:
            by_path = {c.path: c for c in self._codes}
            recent = [by_path[p] for p in dict.fromkeys(self.recent) if p in by_path]
            seen = {c.path for c in recent}
            codes = recent + [c for c in self._codes if c.path not in seen]
        options = [Option(code_prompt(c)) for c in codes]
        choices = [PickResult(self._real.get(c.path, c.path)) for c in codes]
        folded = "/".join(part.strip() for part in query.split("/")).casefold()
        exact = any(folded in (c.path.casefold(), c.name.casefold()) for c in self._codes)
        new_path = typed_path(self._codes, query)
        if new_path:
            # A path was typed on purpose: creating it comes first, so Enter
            # never quietly applies the parent that fuzzy matching ranks first.
            path, parent = new_path
            leaf = path.rsplit("/", 1)[-1]
            where = f"under '{parent}'" if parent else "(with its new parents)"
            if parent in self._real:   # under an existing code: by the path the project knows
                path = f"{self._real[parent]}/{leaf}"
            options.insert(0, Option(Content.assemble(("+ ", "bold"), f"Create code '{leaf}' {where}")))
            choices.insert(0, PickResult(path, create=True))
        elif query and not exact:
            # Last, so that Enter takes the best match; alone when nothing matches.
            options.append(Option(Content.assemble(("+ ", "bold"), f"Create code '{query}'")))
            choices.append(PickResult(query, create=True))
        self._choices = choices
        option_list = self.query_one(OptionList)
        option_list.set_options(options)
        if options:
            option_list.highlighted = 0

    def action_move(self, step: int) -> None:
        option_list = self.query_one(OptionList)
        if step < 0:
            option_list.action_cursor_up()
        else:
            option_list.action_cursor_down()

    def action_choose(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and index < len(self._choices):
            self._choose(self._choices[index])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(self._choices[event.option_index])

    def _choose(self, choice: PickResult) -> None:
        """An existing code is chosen at once; a new one after one
        confirmation line, so a stray Enter never adds a code."""
        if not choice.create or self._confirming == choice:
            self.dismiss(choice)
            return
        self._confirming = choice
        parent, _, leaf = choice.path.rpartition("/")
        parent = {real: shown for shown, real in self._real.items()}.get(parent, parent)   # as listed
        where = f" under '{parent}'" if parent else " at the top level"
        self.query_one("#picker-hint", Label).update(
            Content.assemble(("Create ", "bold"), f"'{leaf}'{where}? ", ("Enter", "bold"), " creates it · Esc goes back"))

    def _unconfirm(self) -> None:
        self._confirming = None
        self.query_one("#picker-hint", Label).update(HINT)

    def action_cancel(self) -> None:
        if self._confirming is not None:
            self._unconfirm()
            return
        self.dismiss(None)
