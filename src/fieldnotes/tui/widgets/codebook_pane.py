"""The codebook pane: the code tree with coding counts and pinned keys, and
the focused code's description below it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, Tree

from fieldnotes.terminal import visible_controls


class CodebookPane(Vertical):
    DEFAULT_CSS = """
    CodebookPane { width: 30%; min-width: 22; border-left: solid $panel-lighten-2; }
    CodebookPane > Tree { height: 1fr; }
    CodebookPane > #code-description { height: auto; max-height: 40%; padding: 0 1; color: $text-muted;
        border-top: solid $panel-lighten-2; }
    """
    BINDINGS = [
        Binding("a", "app.code_add_child", "Add", id="codebook.add_child"),
        Binding("A", "app.code_add_sibling", "Add sibling", show=False, id="codebook.add_sibling"),
        Binding("r", "app.code_rename", "Rename", id="codebook.rename"),
        Binding("M", "app.code_move", "Move", show=False, id="codebook.move"),
        Binding("J", "app.code_merge", "Merge", show=False, id="codebook.merge"),
        Binding("delete", "app.code_delete", "Delete", show=False, id="codebook.delete"),
        Binding("e", "app.code_describe", "Describe", show=False, id="codebook.describe"),
        Binding("C", "app.code_colour", "Colour", show=False, id="codebook.colour"),
        Binding("P", "app.code_pin", "Pin", id="codebook.pin"),
    ]

    class Chosen(Message):
        """Enter on a code: show its passages."""

        def __init__(self, path: str) -> None:
            self.path = path
            super().__init__()

    def __init__(self, project, **kwargs) -> None:
        super().__init__(**kwargs)
        #: Code names as this coder may read them (pseudonymised under the project's 'view' setting).
        self.shown_name = project.reading.names_as_read() if project.reading.shows_pseudonymised() else None
        self.project = project
        self.pinned: list[str] = []
        self._tree_nodes: dict = {}

    def compose(self) -> ComposeResult:
        tree: Tree[str] = Tree("Codebook", id="codebook-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree
        yield Static("", id="code-description")

    def on_mount(self) -> None:
        self.reload()

    @property
    def current(self) -> str | None:
        node = self.query_one(Tree).cursor_node
        return node.data if node is not None else None

    def _label(self, code) -> Text:
        """Swatch, name, count and pin key; a name too long for the pane ends
        in … so the count always shows."""
        count = f" {code.total}" if code.children else f" {code.codings}"
        pin = f" [{self.pinned.index(code.path) + 1}]" if code.path in self.pinned else ""
        name = self.shown_name("code", code.name) if self.shown_name else code.name
        room = self._name_room(code, len(count) + len(pin))
        if room is not None and len(name) > room:
            name = name[: max(1, room - 1)] + "…"
        label = Text()
        label.append("  ", style=f"on {code.colour}" if code.colour else "")
        label.append(" " + visible_controls(name))
        label.append(count, style="dim")
        if pin:
            label.append(pin, style="bold")
        return label

    def _name_room(self, code, tail: int) -> int | None:
        """Cells left for a code's name on its tree line (None before layout)."""
        tree = self.query_one(Tree)
        width = tree.scrollable_content_region.width
        if width <= 0:
            return None
        # Top-level codes have no guide (the root is hidden); each level below
        # indents by guide_depth; a code with sub-codes has a ▼ before it.
        indent = code.path.count("/") * tree.guide_depth + (2 if code.children else 0)
        return max(4, width - indent - 3 - tail)

    def on_resize(self, event) -> None:
        # The room for names changed: relabel after the tree has its new size.
        self.call_after_refresh(self._relabel)

    def _relabel(self) -> None:
        for code in getattr(self, "_codes", []):
            node = self._tree_nodes.get(code.path)
            if node is not None:
                label = self._label(code)
                if str(node.label) != str(label):
                    node.set_label(label)

    def refresh_counts(self) -> None:
        """Update labels in place; rebuild only when codes were added,
        removed, renamed or moved."""
        codes = self._codes = self.project.codebook.codes()
        if [c.path for c in codes] != list(self._tree_nodes):
            self.reload()
            return
        for code in codes:
            node = self._tree_nodes[code.path]
            label = self._label(code)
            if str(node.label) != str(label) or node.label.spans != label.spans:
                node.set_label(label)
        self._describe(self.current)

    def reload(self, keep: str | None = None) -> None:
        tree: Tree[str] = self.query_one(Tree)
        keep = keep or self.current
        tree.clear()
        nodes = {}
        self._tree_nodes = {}
        target = None
        self._codes = self.project.codebook.codes()
        for code in self._codes:
            parent = nodes.get(code.parent_id, tree.root)
            node = parent.add(self._label(code), data=code.path, expand=True, allow_expand=bool(code.children))
            self._tree_nodes[code.path] = node
            if not code.children:
                node.allow_expand = False
            nodes[code.id] = node
            if code.path == keep:
                target = node
        if not nodes:
            tree.root.add_leaf(Text("(no codes yet: press a to add, or import a codebook)", style="dim"))
        if target is not None:
            self.call_after_refresh(tree.move_cursor, target)
        self._describe(keep)

    def _describe(self, path: str | None) -> None:
        panel = self.query_one("#code-description", Static)
        if not path:
            panel.update("")
            return
        try:
            code = self.project.codebook.code(path)
        except Exception:
            panel.update("")
            return
        # A code's name or notes can name a participant: as this coder may read them.
        shown = self.shown_name or (lambda kind, value: value)
        text = Text()
        text.append(shown("code", code.path) + "\n", style="bold")
        text.append(f"{code.codings} coding(s); {code.total} with sub-codes\n", style="dim")
        for key in ("description", "inclusion", "exclusion", "example"):
            value = shown("text", getattr(code, key))
            if value:
                if key != "description":
                    text.append(f"{key.title()}: ", style="italic")
                text.append(value + "\n")
        panel.update(text)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        self._describe(event.node.data)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.Chosen(event.node.data))
