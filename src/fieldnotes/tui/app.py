"""The fieldnotes workspace: documents, the reading pane and the codebook.

The app holds one :class:`~fieldnotes.project.Project` opened in the UI
thread; long work (import, autocoding, detection for the pseudonymised view;
the matrix in its screen) runs in thread workers that open their own
connection and only post messages, which handlers show. Every change, made
here, by a worker or by another process, posts :class:`ProjectChanged`, whose
one handler redraws the panes. The rules (pins, key attributes, what an
import line means) are the project API's (``project.study``,
:func:`fieldnotes.manifest.parse_import_request`). Errors become notifications.
"""

from __future__ import annotations

import functools
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, ProgressBar, Static
from textual.worker import get_current_worker

from fieldnotes.project import Project
from fieldnotes.tui.commands import FieldnotesCommands
from fieldnotes.tui.messages import DetectionReady, Jump, PickResult, ProjectChanged, WorkDone, WorkProgress, error_line
from fieldnotes.tui.widgets.codebook_pane import CodebookPane
from fieldnotes.tui.widgets.document_view import DocumentView, Span
from fieldnotes.tui.widgets.documents_pane import DocumentsPane


def guarded(method):
    """Run an action; any error becomes a notification, never a traceback
    (document text must not end up on screen in a stack dump), and the
    action can simply be tried again."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown to the researcher, never a traceback
            self.report_error(exc)
        return None

    return wrapper


def shown(text: str) -> str:
    """File-derived text with its control characters shown as symbols; show
    it as plain text (a ``Text``, or ``markup=False``), never as markup."""
    from fieldnotes.terminal import visible_controls

    return visible_controls(text)


#: How long a change in the workspace waits while another process writes
#: (seconds): long enough for a CLI command to finish, short enough not to freeze.
WORKSPACE_LOCK_WAIT = 2.0
#: How often the workspace checks for changes made by other processes (seconds).
EXTERNAL_CHANGE_POLL = 1.0


class FieldnotesApp(App):
    """``fieldnotes open PROJECT``."""

    TITLE = "fieldnotes"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {FieldnotesCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("c,enter", "code_apply", "Code", id="app.code_apply", priority=False),
        Binding("x", "code_remove", "Uncode", id="app.code_remove"),
        Binding("m", "memo", "Memo", id="app.memo"),
        Binding("u,ctrl+z", "undo", "Undo", id="app.undo"),
        Binding("ctrl+r,ctrl+y", "redo", "Redo", id="app.redo"),
        Binding("slash", "search", "Search", id="app.search"),
        Binding("R", "retrieve", "Passages", id="app.retrieve"),
        Binding("E", "pseudo_review", "Pseudonyms", show=False, id="app.pseudo_review"),
        Binding("X", "matrix", "Matrix", show=False, id="app.matrix"),
        Binding("A", "disagreements", "Disagreements", show=False, id="app.disagreements"),
        Binding("f6", "toggle_pseudonymised", "Original/pseudonymised", show=False, id="app.toggle_pseudonymised"),
        Binding("f2", "toggle_pane('documents')", "Docs pane", show=False, id="app.toggle_documents"),
        Binding("f3", "toggle_pane('codebook')", "Codes pane", show=False, id="app.toggle_codebook"),
        Binding("f4", "resize_panes(-4)", "Narrower panes", show=False, id="app.narrower"),
        Binding("f5", "resize_panes(4)", "Wider panes", show=False, id="app.wider"),
        Binding("ctrl+x", "cancel_work", "Cancel work", show=False, id="app.cancel"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit"),
        *[Binding(str(n), f"apply_pinned({n})", f"Pinned {n}", show=False, id=f"app.pinned_{n}") for n in range(1, 10)],
    ]

    def __init__(self, project_path: str | Path, *, document: str | None = None) -> None:
        super().__init__()
        self.project_path = Path(project_path)
        self.project = Project.open(self.project_path)
        self.recent: list[str] = []
        self._start_document = document
        self._pane_width = {"documents": 34, "codebook": 30}
        self._pane_toggled = False
        #: The open document as shown (original or pseudonymised text).
        self.reading = None
        self.pseudonymised = False
        #: The project setting 'view': this coder sees only pseudonymised text.
        self.pseudonymised_only = self.project.reading.shows_pseudonymised()
        #: ((document, cursor), text): what the last change did, said in the status line.
        self._note: tuple | None = None
        #: Whether a worker has loaded the language model in this process (F6 then needs none).
        self._pipeline_ready = False
        #: What to do once the detection worker has finished (open a document, switch to F6 ...).
        self._after_detection: list = []
        self.sub_title = self.project_path.name + ("  (pseudonymised view only)" if self.pseudonymised_only else "")

    # -- layout -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="main"):
            yield DocumentsPane(self.project, pseudonymised=self.pseudonymised_only, id="documents")
            with Vertical(id="reading"):
                yield Static("", id="doc-title")
                yield DocumentView(id="view")
                yield Static("", id="status")
                yield ProgressBar(id="progress", show_eta=False)
            yield CodebookPane(self.project, id="codebook")
        yield Footer()

    def on_resize(self, event) -> None:
        # Narrow terminals (80 to 139 columns, often over SSH): the documents pane starts
        # hidden so the text keeps room; F2 brings it back.
        if not self._pane_toggled:
            self.query_one("#documents").display = event.size.width >= 140

    def on_mount(self) -> None:
        self._watch_other_processes()
        self.query_one("#documents").display = self.size.width >= 140
        self.query_one("#progress").display = False
        self._load_pins()
        docs = self.project.documents()
        first = self._start_document or (docs[0].name if docs else None)
        if first:
            self.open_document(first)
            self.query_one(DocumentView).focus()
        else:
            self.notify("This project has no documents yet: ctrl+p, then 'import: files'.", timeout=8)
        self._warn_access()

    def _warn_access(self) -> None:
        """Say so when other users of the machine can read the project."""
        warning = self.project.access_warning()
        if warning:
            self.notify(warning, severity="warning", timeout=12)

    @property
    def view(self) -> DocumentView:
        return self.query_one(DocumentView)

    # -- errors and other processes ----------------------------------------------------

    def report_error(self, exc: BaseException) -> None:
        """Show an error as a notification: the one-line explanation for
        known failures (locked, read-only, full disk), else its type and message."""
        from fieldnotes.errors import explain

        timeout = 8 if explain(exc, self.project_path) is not None else 10   # longer for the unexpected
        self.notify(shown(error_line(exc, self.project_path)), severity="error", timeout=timeout, markup=False)

    def _watch_other_processes(self) -> None:
        """Wait only briefly for the write lock, say when the project is
        read-only, and poll for changes other processes commit."""
        self.project.wait_for_lock(min(self.project.lock_timeout(), WORKSPACE_LOCK_WAIT))
        if self.project.read_only:
            self.notify(f"{self.project_path.name} is read-only: you can read, search and retrieve, "
                        "but not code or edit.", severity="warning", timeout=8)
        self._data_version = self.project.data_version()
        self.set_interval(EXTERNAL_CHANGE_POLL, self.check_external_changes)

    def check_external_changes(self) -> bool:
        """Refresh what is shown if another process changed the project since
        the last look (``PRAGMA data_version``: one cheap query). True if it did."""
        try:
            version = self.project.data_version()
        except Exception:  # noqa: BLE001 - a busy or vanished file: look again next time
            return False
        if version == self._data_version:
            return False
        self._data_version = version
        self._refresh_external()
        return True

    @guarded
    def _refresh_external(self) -> None:
        if self.view.document and self.view.document not in {d.name for d in self.project.documents()}:
            self.notify(f"{self.view.document} was deleted by another process.", severity="warning")
            self.view.load("", "", [], [])
        self.project_changed()

    # -- documents ----------------------------------------------------------------

    @guarded
    def open_document(self, name: str, *, pseudonymised: bool | None = None, original_cursor: int = 0,
                      row: int | None = None) -> bool:
        """Show a document in the current text (original or pseudonymised;
        always pseudonymised under the project's 'view' setting), the cursor
        at ``original_cursor`` (a stored offset) on screen row ``row``.

        False when the pseudonymised text needs detection first: a worker
        runs it and the document opens after (see :meth:`_view_ready`)."""
        pseudonymised = (self.pseudonymised if pseudonymised is None else pseudonymised) or self.pseudonymised_only
        if pseudonymised and not self._view_ready(lambda: self.open_document(
                name, pseudonymised=True, original_cursor=original_cursor, row=row)):
            return False
        reading = self.project.reading.reading_text(name, pseudonymised=pseudonymised)
        self.reading = reading
        self.pseudonymised = reading.pseudonymised
        self.view.load(reading.document, reading.text, reading.turns, self._spans(reading.document),
                       cursor=reading.offset_to_view(original_cursor), row=row)
        self._show_title()
        self._update_status()
        return True

    def _show_title(self) -> None:
        doc = self.project.reading.document_as_read(self.reading.document, pseudonymised=self.pseudonymised)
        keys = self.project.study.key_attributes(limit=3)
        attrs = ", ".join(f"{k} {doc.attributes[k]}" for k in keys if k in doc.attributes)
        # A Text, not markup: the name and attributes come from files.
        parts: list = [(" PSEUDONYMISED ", "reverse"), " "] if self.pseudonymised else []
        parts.append((shown(doc.name), "bold"))
        parts.append(shown(f"  {doc.kind} · {doc.words:,} words · {len(doc.turns)} turns"
                           + (f" · {attrs}" if attrs else "")))
        if self.pseudonymised and not self.pseudonymised_only:
            parts.append(" · F6 original")
        self.query_one("#doc-title", Static).update(Text.assemble(*parts), layout=False)

    def _spans(self, document: str) -> list[Span]:
        """The document's codings in the text shown (a coding that touches a
        pseudonym covers all of it)."""
        shown = self.project.reading.names_as_read() if self.pseudonymised_only else (lambda kind, value: value)
        info = {c.id: (shown("code", c.name), c.colour or "#999999") for c in self.project.codebook.codes(counts=False)}
        to_view = self.reading.to_view if self.reading is not None and self.reading.document == document else None
        return [Span(*(to_view(start, end) if to_view else (start, end)), coding_id, code_id, *info[code_id])
                for coding_id, code_id, start, end in self.project.coding.coding_spans(document)]

    def project_changed(self, note: str | None = None) -> None:
        """Say that the project changed (here, in a worker or in another
        process); the panes refresh in the handler, once for a burst of changes."""
        self.post_message(ProjectChanged(note))

    @on(ProjectChanged)
    def _project_changed(self, message: ProjectChanged) -> None:
        """Redraw the shading, the counts and the pins, then say what happened.

        The panes update their counts in place when they can; rebuilding them
        would cost a layout pass on every coding."""
        if self.pseudonymised_only and not self._view_ready(lambda: self.project_changed(message.note)):
            return  # the panes show pseudonymised names: new documents are checked first, in a worker
        if self.view.document:
            self.view.set_spans(self._spans(self.view.document))
        codebook = self.query_one(CodebookPane)
        codebook.pinned = self.project.study.pinned_codes()  # a renamed or deleted code moves or leaves its key
        codebook.refresh_counts()
        self.query_one(DocumentsPane).refresh_counts()
        if message.note:
            # Said in the status line rather than a toast (a toast costs a
            # layout pass, and the margin already shows the change), where it
            # stays until the cursor moves.
            self._note = ((self.view.document, self.view.cursor), message.note)
        self._update_status()

    @on(DocumentsPane.Opened)
    def _opened(self, event: DocumentsPane.Opened) -> None:
        self.open_document(event.document)
        self.view.focus()

    @on(DocumentView.SelectionChanged)
    def _selection_changed(self, event: DocumentView.SelectionChanged) -> None:
        self._update_status()

    def _update_status(self) -> None:
        view = self.view
        if not view.document:
            self.query_one("#status", Static).update("", layout=False)
            return
        turn = next((t for t in view.turns if t.start <= view.cursor < max(t.end, t.start + 1)), None)
        parts = [f"@{view.cursor}"]
        if self._note is not None and self._note[0] == (view.document, view.cursor) and not view.selection:
            parts.append(self._note[1])  # what the last change did, until the cursor moves on
        if turn and turn.speaker:
            parts.append(turn.speaker)
        if view.selection:
            a, b = view.selection
            parts.append(f"selected {b - a} chars: c to code")
        elif view.select_mode:
            parts.append("selection mode")
        codes = [s.label for s in view.spans_at(view.cursor)]
        if codes:
            parts.append("codes here: " + ", ".join(codes))
        # Fixed height: no layout pass needed (it would cost a frame per keypress).
        self.query_one("#status", Static).update(" · ".join(parts), layout=False)

    # -- coding -----------------------------------------------------------------

    def _selection_or_sentence(self) -> tuple[int, int] | None:
        view = self.view
        if not view.document:
            self.notify("Open a document first.", severity="warning")
            return None
        if view.selection is None:
            view.action_select_unit("sentence")
            self.notify("No selection: the sentence at the cursor is selected.", timeout=2)
        return view.trim_selection()

    def action_code_apply(self) -> None:
        if self.focused is not None and not isinstance(self.focused, DocumentView):
            return
        selection = self._selection_or_sentence()
        if selection is None:
            return
        from fieldnotes.tui.screens.picker import CodePicker

        self.push_screen(CodePicker(self.project, recent=self.recent), callback=lambda r: self._picked(r, selection))

    @guarded
    def _picked(self, result: PickResult | None, selection: tuple[int, int]) -> None:
        if result is None:
            return
        path = result.path
        if result.create:
            path = self.project.codebook.add_code(result.path).path
        self.apply_code(path, *selection)

    @guarded
    def apply_code(self, code: str, start: int, end: int) -> None:
        """Code ``[start, end)`` of the text shown (mapped to the stored text)."""
        if self.reading is not None:
            start, end = self.reading.to_original(start, end)
        coding, new = self.project.coding.apply_coding(self.view.document, code, start, end)
        self.recent = [coding.code] + [p for p in self.recent if p != coding.code][:19]
        self.view.action_clear_selection()
        self.project_changed(("Coded " if new else "Already coded ") + f"{coding.code} (u undoes)")

    @guarded
    def action_apply_pinned(self, number: int) -> None:
        if not isinstance(self.focused, DocumentView):
            return
        pins = self.query_one(CodebookPane).pinned
        if number > len(pins):
            self.notify(f"No code pinned to {number}: pin one with P in the codebook pane.", severity="warning")
            return
        selection = self._selection_or_sentence()
        if selection:
            self.apply_code(pins[number - 1], *selection)

    @guarded
    def action_code_remove(self) -> None:
        spans = self.view.spans_at(self.view.cursor)
        if not spans:
            self.notify("No coding at the cursor.", severity="warning")
            return
        if len(spans) == 1:
            self._remove(spans[0].coding_id)
            return
        from fieldnotes.tui.screens.dialogs import ChoiceDialog

        options = [(f"{s.label} ({s.start}-{s.end})", s.coding_id) for s in spans]
        self.push_screen(ChoiceDialog("Remove which coding?", options), callback=lambda cid: cid and self._remove(cid))

    @guarded
    def _remove(self, coding_id: int) -> None:
        gone = self.project.coding.remove_coding(coding_id)
        self.project_changed()
        self.notify(f"Removed {self._named(gone.code)} (u to undo)", timeout=2)

    @guarded
    def action_memo(self) -> None:
        from fieldnotes.tui.screens.dialogs import ChoiceDialog

        spans = self.view.spans_at(self.view.cursor)
        if len(spans) > 1:
            options = [(f"{s.label} ({s.start}-{s.end})", s.coding_id) for s in spans]
            self.push_screen(ChoiceDialog("Memo on which coding?", options), callback=lambda cid: cid and self._edit_memo("coding", cid))
        elif spans:
            self._edit_memo("coding", spans[0].coding_id)
        elif self.view.document:
            self._edit_memo("document", self.view.document)

    @guarded
    def _edit_memo(self, target_type: str, target) -> None:
        from fieldnotes.tui.screens.dialogs import MemoEditor

        existing = self.project.memos.list(target_type, target)
        memo = existing[-1] if existing else None
        title = f"Memo on {'this coding' if target_type == 'coding' else target}"

        shown = memo.text if memo else ""
        if memo is not None and self.pseudonymised:
            shown = self.project.reading.memo_as_read(memo.text, pseudonymised=True)
            if shown != memo.text:
                # Saving the pseudonymised words over the memo would lose the
                # original; a note written here is added beside it instead.
                title += " (pseudonymised; saving adds a new memo)"
                memo = None

        def save(text: str | None) -> None:
            if text is None:
                return
            try:
                if memo is not None:
                    self.project.memos.edit(memo.id, text)
                else:
                    self.project.memos.add(target_type, target, text)
                self.notify("Memo saved", timeout=2)
            except Exception as exc:  # noqa: BLE001 - a notification, and the memo can be saved again
                self.report_error(exc)

        self.push_screen(MemoEditor(title, shown), callback=save)

    @guarded
    def action_undo(self) -> None:
        summary = self.project.history.undo()
        self.project_changed()
        self.notify(f"Undone: {self.project.reading.memo_as_read(summary)}", timeout=3)

    @guarded
    def action_redo(self) -> None:
        summary = self.project.history.redo()
        self.project_changed()
        self.notify(f"Redone: {self.project.reading.memo_as_read(summary)}", timeout=3)

    # -- jumping ------------------------------------------------------------------

    def jump(self, target: Jump | None) -> None:
        if target is None:
            return
        if target.document != self.view.document:
            opened = self.open_document(target.document)
            if opened is False:
                self._after_detection[-1] = lambda: self.jump(target)  # instead of only opening it
            if not opened:
                return
        # Targets are stored offsets; the view may be the pseudonymised text.
        start, end = self.reading.to_view(target.start, target.end) if self.reading else (target.start, target.end)
        self.view.select(start, end)
        self.view.focus()

    def action_matrix(self) -> None:
        from fieldnotes.tui.screens.matrix import MatrixScreen

        self.push_screen(MatrixScreen(self.project, pseudonymised=self.pseudonymised or self.pseudonymised_only),
                         callback=self.jump)

    def action_disagreements(self) -> None:
        """Where coders differ, side by side, to settle into a consensus coding."""
        from fieldnotes.tui.screens.disagreements import DisagreementScreen

        def back(target: Jump | None) -> None:
            self.project_changed()
            self.jump(target)

        self.push_screen(DisagreementScreen(self.project), callback=back)

    def action_pseudo_review(self) -> None:
        if self.pseudonymised_only:
            self.notify("The review screen shows real names, and this project shows you only pseudonymised text.",
                        severity="warning", timeout=6)
            return
        from fieldnotes.tui.screens.pseudo import PseudoScreen

        def back(target: Jump | None) -> None:
            self.project_changed()
            self.jump(target)

        self.push_screen(PseudoScreen(self.project), callback=back)

    @guarded
    def action_toggle_pseudonymised(self) -> None:
        """Read and code the document as it will leave the project, or as
        recorded; the reading position is kept."""
        view = self.view
        if not view.document or self.reading is None:
            return
        if self.pseudonymised_only:
            self.notify("This project shows you only pseudonymised text (fieldnotes config PROJECT view).",
                        severity="warning", timeout=5)
            return
        pseudonymised = not self.pseudonymised
        if pseudonymised and not self._view_ready(self.action_toggle_pseudonymised):
            return
        if pseudonymised:
            # The same view every export takes: detection is brought up to
            # date first (a new or changed document is never shown unmasked);
            # if it cannot run, this raises (a notification, via @guarded) and
            # the original stays on screen.
            pseudo = self.project.reading.reading_view()
            if pseudo.detection.checked and pseudo is not getattr(self, "_announced_view", None):
                self._announced_view = pseudo
                self.notify(pseudo.detection.line(), timeout=6)
        self.open_document(view.document, pseudonymised=pseudonymised,
                           original_cursor=self.reading.offset_to_original(view.cursor), row=view.cursor_row)

    def _view_ready(self, then) -> bool:
        """True when pseudonymised text can be shown now. Otherwise loading
        the language model or detecting names in new or changed documents
        would take seconds: a worker does that, ``then`` runs once it has,
        and this returns False."""
        stale = len(self.project.pseudonyms.stale_documents())
        if self._pipeline_ready and not stale:
            return True
        if then not in self._after_detection:  # F6 pressed twice while waiting switches once
            self._after_detection.append(then)
        if not any(w.group == "detection" and w.is_running for w in self.workers):
            self.notify(f"Detecting names in {stale} new or changed document(s) first…" if stale else
                        "Loading the language model for the pseudonymised view…", timeout=4)
            self.detection_worker()
        return False

    @work(thread=True, exclusive=True, group="detection")
    def detection_worker(self) -> None:
        """Bring detection up to date and load the language model for this
        process, on a connection of its own; it only posts messages."""
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            self.post_message(WorkProgress(done, total))
            if worker.is_cancelled:
                raise InterruptedError

        try:
            with Project.open(self.project_path, self.project.coder) as project:
                view = project.pseudonyms.pseudonymised_view(progress=progress)
            self.post_message(DetectionReady(view.detection.line() if view.detection.checked else None))
        except InterruptedError:
            self.post_message(DetectionReady(cancelled=True))
        except Exception as exc:  # noqa: BLE001 - reported, and the original text stays on screen
            self.post_message(DetectionReady(error=exc))

    @on(DetectionReady)
    def _detection_ready(self, message: DetectionReady) -> None:
        self.query_one("#progress", ProgressBar).display = False
        pending, self._after_detection = self._after_detection, []
        if message.error is not None:
            self.report_error(message.error)
        elif message.cancelled:
            self.notify("Cancelled: no pseudonymised text is shown until names are detected.", timeout=4)
        else:
            self._pipeline_ready = True
            if message.text:
                self.notify(shown(message.text), timeout=6, markup=False)
            for then in pending:
                then()

    def action_search(self) -> None:
        from fieldnotes.tui.screens.search import SearchScreen

        self.push_screen(SearchScreen(self.project, pseudonymised=self.pseudonymised or self.pseudonymised_only),
                         callback=self.jump)

    @guarded
    def action_retrieve(self, path: str | None = None) -> None:
        from fieldnotes.tui.screens.retrieval import RetrievalScreen

        # From the reading pane, the code under the cursor.
        spans = self.view.spans_at(self.view.cursor) if isinstance(self.focused, DocumentView) else []
        if not path and spans:
            path = self.project.coding.coding(spans[0].coding_id).code
        # Else the code focused in the codebook pane, else the one last applied.
        path = path or self.query_one(CodebookPane).current or (self.recent[0] if self.recent else None)
        if not path:
            self.notify("Put the cursor on a coded passage, or choose a code in the codebook pane.", severity="warning")
            return
        self.push_screen(RetrievalScreen(self.project, path, pseudonymised=self.pseudonymised or self.pseudonymised_only),
                         callback=self.jump)

    @on(CodebookPane.Chosen)
    def _code_chosen(self, event: CodebookPane.Chosen) -> None:
        self.action_retrieve(event.path)

    # -- panes --------------------------------------------------------------------

    def action_toggle_pane(self, pane: str) -> None:
        """Show a pane and put the focus in it; hide it and the focus goes
        back to the text."""
        self._pane_toggled = True
        widget = self.query_one(f"#{pane}")
        widget.display = not widget.display
        if widget.display:
            target = widget.query_one("#documents-table" if pane == "documents" else "#codebook-tree")
            self.call_after_refresh(target.focus)
        elif self.focused is None or widget in self.focused.ancestors_with_self:
            self.view.focus()

    def action_resize_panes(self, delta: int) -> None:
        for pane, width in self._pane_width.items():
            self._pane_width[pane] = max(15, min(50, width + delta))
            self.query_one(f"#{pane}").styles.width = f"{self._pane_width[pane]}%"

    def action_help(self) -> None:
        from fieldnotes.tui.screens.help import HelpScreen

        def rows(bindings):
            seen = []
            for b in bindings:
                if b.action.startswith("apply_pinned"):
                    if b.key == "1":
                        seen.append(("1-9", "Apply the code pinned to that number (P in the codebook pane pins)"))
                    continue
                keys = b.key.replace("question_mark", "?").replace("slash", "/")
                seen.append((keys, b.description))
            return seen

        sections = [
            ("Workspace", rows(self.BINDINGS) + [("ctrl+p", "Command palette: every action"), ("tab", "Next pane")]),
            ("Reading and selecting", rows(DocumentView.BINDINGS) + [("mouse drag", "Select text")]),
            ("Codebook pane", rows(CodebookPane.BINDINGS) + [("enter", "Passages of the code")]),
            ("Documents pane", rows(DocumentsPane.BINDINGS) + [("enter", "Open the document")]),
        ]
        self.push_screen(HelpScreen(sections))

    # -- codebook editing -----------------------------------------------------------

    def _prompt(self, title: str, callback, value: str = "") -> None:
        from fieldnotes.tui.screens.dialogs import PromptDialog

        self.push_screen(PromptDialog(title, value), callback=lambda v: v and self._run(callback, v))

    @guarded
    def _run(self, callback, value) -> None:
        callback(value)
        self.project_changed()

    def _current_code(self) -> str | None:
        path = self.query_one(CodebookPane).current
        if not path:
            self.notify("Choose a code in the codebook pane first.", severity="warning")
        return path

    def action_code_add_child(self) -> None:
        parent = self.query_one(CodebookPane).current
        title = f"New code under {self._named(parent)}" if parent else "New top-level code"
        self._prompt(title, lambda name: self._added(self.project.codebook.add_code(f"{parent}/{name}" if parent else name)))

    def action_code_add_sibling(self) -> None:
        current = self.query_one(CodebookPane).current
        parent = current.rsplit("/", 1)[0] if current and "/" in current else None
        self._prompt("New code beside " + (self._named(current) if current else "the top level"),
                     lambda name: self._added(self.project.codebook.add_code(f"{parent}/{name}" if parent else name)))

    def _added(self, code) -> None:
        self.query_one(CodebookPane).reload(keep=code.path)
        self.notify(f"Added {self._named(code.path)}", timeout=2)

    def _named(self, path: str) -> str:
        """A code's path as this coder may read it (pseudonymised under the
        project's 'view' setting: a code can be named after a participant)."""
        return self.project.reading.names_as_read()("code", path) if self.pseudonymised_only else path

    def _hidden_words(self, path: str, text: str) -> bool:
        """Whether editing ``text`` (a code's name or description) would write
        pseudonyms over words this coder may not read; then says so."""
        if not self.project.reading.hides_words(text):
            return False
        self.notify(f"{self._named(path)} names someone you see pseudonymised; ask whoever holds the key "
                    "to change it.", severity="warning", timeout=6)
        return True

    def action_code_rename(self) -> None:
        path = self._current_code()
        if path and not self._hidden_words(path, path.rsplit("/", 1)[-1]):
            self._prompt(f"Rename {self._named(path)}", lambda name: self.project.codebook.rename_code(path, name),
                         value=path.rsplit("/", 1)[-1])

    def action_code_describe(self) -> None:
        path = self._current_code()
        if not path:
            return
        from fieldnotes.tui.screens.dialogs import MemoEditor

        code = self.project.codebook.code(path)
        if self._hidden_words(path, code.description):
            return
        self.push_screen(MemoEditor(f"Description of {self._named(path)}", code.description),
                         callback=lambda text: text is not None and self._run(lambda t: self.project.codebook.update_code(path, description=t), text))

    def action_code_colour(self) -> None:
        path = self._current_code()
        if path:
            self._prompt(f"Colour of {self._named(path)} (#RRGGBB)", lambda c: self.project.codebook.update_code(path, colour=c),
                         value=self.project.codebook.code(path).colour or "")

    def action_code_move(self) -> None:
        path = self._current_code()
        if not path:
            return
        from fieldnotes.tui.screens.dialogs import ChoiceDialog

        codes = self.project.codebook.codes(counts=False)
        inside = {c.id for c in self.project.codebook.subtree(path, codes=codes)}
        options = [("(top level)", "")] + [(self._named(c.path), c.path) for c in codes if c.id not in inside]
        self.push_screen(ChoiceDialog(f"Move {self._named(path)} under", options),
                         callback=lambda target: target is not None and self._run(lambda t: self.project.codebook.move_code(path, t or None), target))

    def action_code_merge(self) -> None:
        path = self._current_code()
        if not path:
            return
        from fieldnotes.tui.screens.picker import CodePicker

        def merged(result: PickResult | None) -> None:
            if result and not result.create:
                self._run(lambda target: self.notify(f"Merged {self.project.codebook.merge_codes(path, target)} coding(s)"), result.path)

        self.push_screen(CodePicker(self.project, title=f"Merge {self._named(path)} into"), callback=merged)

    def action_code_delete(self) -> None:
        path = self._current_code()
        if not path:
            return
        from fieldnotes.tui.screens.dialogs import ConfirmDialog

        code = self.project.codebook.code(path)
        message = f"Delete {self._named(path)}" + (f" and its {code.total} coding(s)?" if code.total else "?") + " (u undoes it)"
        self.push_screen(ConfirmDialog(message),
                         callback=lambda ok: ok and self._run(lambda p: self.project.codebook.delete_code(p, force=True), path))

    # -- pins -------------------------------------------------------------------------

    def _load_pins(self) -> None:
        """Show this coder's pinned codes, as the project keeps them."""
        pane = self.query_one(CodebookPane)
        pane.pinned = self.project.study.pinned_codes()
        pane.reload()

    @guarded
    def action_code_pin(self) -> None:
        path = self._current_code()
        if not path:
            return
        key = self.project.study.toggle_pin(path)
        self.notify(f"Pinned {self._named(path)} to key {key}" if key else f"Unpinned {self._named(path)}", timeout=2)
        self.project_changed()

    # -- long work in workers ------------------------------------------------------------

    def action_import(self) -> None:
        self._prompt("Import files or a folder (path; add ' --manifest FILE' for a manifest)", self._start_import)

    def _start_import(self, value: str) -> None:
        from fieldnotes.manifest import parse_import_request

        path, manifest = parse_import_request(value)  # a mistake is a notification (_run)
        self.import_worker(str(path), str(manifest) if manifest else None)

    @work(thread=True, exclusive=True, group="import")
    def import_worker(self, path: str, manifest: str | None) -> None:
        """Import in a thread on a connection of its own; it only posts
        messages (progress, then what happened), the handlers touch widgets."""
        worker = get_current_worker()
        self.post_message(WorkProgress(0, None))
        done = [0, None]

        class Cancelled(Exception):
            pass

        def progress(outcome) -> None:
            done[0] += 1
            self.post_message(WorkProgress(done[0], done[1]))
            if worker.is_cancelled:
                raise Cancelled

        def counted(n: int) -> None:
            done[1] = n
            self.post_message(WorkProgress(0, n))

        try:
            with Project.open(self.project_path) as project:
                report = project.intake.import_paths([path], manifest=manifest, progress=progress, on_files=counted)
            failed = report.failed
            message = f"Imported {len(report.of('imported'))}, skipped {len(report.of('skipped'))}, failed {len(failed)}"
            if failed:
                message += ": " + "; ".join(f"{Path(o.path).name}: {o.message}" for o in failed[:3])
            self.post_message(WorkDone(message, severity="warning" if failed else "information", timeout=8))
        except Cancelled:
            self.post_message(WorkDone("Import cancelled; the files imported so far are kept.", timeout=5))
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            self.post_message(WorkDone(error=exc))

    @on(WorkProgress)
    def _work_progress(self, message: WorkProgress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.display = message.visible
        bar.update(total=message.total, progress=message.completed)

    @on(WorkDone)
    def _work_done(self, message: WorkDone) -> None:
        self.query_one("#progress", ProgressBar).display = False
        if message.error is not None:
            self.report_error(message.error)
        elif message.text:
            self.notify(shown(message.text), severity=message.severity, timeout=message.timeout, markup=False)
        self.project_changed()

    def action_autocode(self) -> None:
        from fieldnotes.tui.screens.picker import CodePicker

        def with_code(result: PickResult | None) -> None:
            if result is None:
                return
            path = result.path
            if result.create:
                try:
                    path = self.project.codebook.add_code(path).path
                except Exception as exc:  # noqa: BLE001 - reported, never a traceback
                    self.report_error(exc)
                    return
            self._prompt(f"Autocode {path}: keyword or phrase (whole words, any case)",
                         lambda keyword: self.autocode_worker(path, keyword))

        self.push_screen(CodePicker(self.project, recent=self.recent, title="Autocode with which code?"), callback=with_code)

    @work(thread=True, exclusive=True, group="autocode")
    def autocode_worker(self, code: str, keyword: str) -> None:
        try:
            with Project.open(self.project_path) as project:
                hits, new = project.coding.autocode(code, keywords=[keyword], scope="sentence")
            self.post_message(WorkDone(f"Autocoded {new} passage(s) with {code} (u to undo)", timeout=5))
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            self.post_message(WorkDone(error=exc))

    def action_cancel_work(self) -> None:
        running = [w for w in self.workers if w.is_running]
        for w in running:
            w.cancel()
        self.notify("Cancelling…" if running else "Nothing is running.", timeout=2)

    def action_codebook_import(self) -> None:
        def load(path: str) -> None:
            from fieldnotes.exchange.codebooks import read_codebook

            counts = self.project.codebook.import_codebook(read_codebook(Path(path)), source=Path(path).name)
            self.notify(f"{counts['added']} added, {counts['updated']} updated", timeout=4)

        self._prompt("Import codebook (.yaml or .qdc path)", load)

    def on_unmount(self) -> None:
        self.project.close()
