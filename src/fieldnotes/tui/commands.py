"""The command palette: every action of the workspace, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

#: (title, action, help) — titles read "area: verb" so that typing the area
#: lists its actions.
ACTIONS = [
    ("code: apply to selection", "code_apply", "Open the code picker for the selected passage"),
    ("code: remove at cursor", "code_remove", "Remove the coding under the cursor"),
    ("code: memo", "memo", "Write a memo on the coding under the cursor (or the document)"),
    ("code: passages of the code", "retrieve", "All passages of the focused code, across documents"),
    ("codebook: add code", "code_add_child", "Add a code under the focused code"),
    ("codebook: add sibling code", "code_add_sibling", "Add a code beside the focused code"),
    ("codebook: rename code", "code_rename", "Rename the focused code"),
    ("codebook: move code", "code_move", "Move the focused code under another"),
    ("codebook: merge code", "code_merge", "Merge the focused code into another"),
    ("codebook: delete code", "code_delete", "Delete the focused code (asks first)"),
    ("codebook: describe code", "code_describe", "Edit the focused code's description"),
    ("codebook: colour", "code_colour", "Change the focused code's colour"),
    ("codebook: pin code to a number key", "code_pin", "Pin or unpin the focused code (keys 1-9)"),
    ("codebook: import", "codebook_import", "Import a .yaml or .qdc codebook"),
    ("autocode: keyword", "autocode", "Code every sentence containing a keyword"),
    ("import: files or folder", "import", "Import transcripts and notes"),
    ("search: full text", "search", "Search every document"),
    ("analysis: theme matrix", "matrix", "Codes x phase, role, cases or documents; Enter on a cell lists its passages"),
    ("team: review disagreements", "disagreements", "Where coders differ, side by side; settle each into the consensus coding"),
    ("pseudo: review entities", "pseudo_review", "Entities by category, mentions in context; accept, reject, edit, merge, split"),
    ("pseudo: toggle pseudonymised view", "toggle_pseudonymised", "Read the document as it will leave the project"),
    ("edit: undo", "undo", "Undo the last change"),
    ("edit: redo", "redo", "Redo the last undone change"),
    ("view: toggle documents pane", "toggle_pane('documents')", "Show or hide the documents pane"),
    ("view: toggle codebook pane", "toggle_pane('codebook')", "Show or hide the codebook pane"),
    ("view: narrower side panes", "resize_panes(-4)", "Give the reading pane more room"),
    ("view: wider side panes", "resize_panes(4)", "Give the side panes more room"),
    ("work: cancel", "cancel_work", "Cancel a running import or autocode"),
    ("help: keys", "help", "Every key binding"),
]


class FieldnotesCommands(Provider):
    async def discover(self) -> Hits:
        for title, action, help_text in ACTIONS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in ACTIONS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help_text)
