"""Small values passed between screens and widgets of the TUI."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass(frozen=True, slots=True)
class Jump:
    """Go to a passage: open ``document`` and select ``[start, end)``."""

    document: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PickResult:
    """What the code picker chose: an existing code's path, or a new code to
    create (``create=True``; ``path`` is the name typed)."""

    path: str
    create: bool = False


class ProjectChanged(Message):
    """The project changed (a coding, a code, a pin, an import; here or in
    another process): the app's handler redraws the shading, counts and pins,
    then shows ``note`` in the status line. A burst of them is handled once
    (a newer one replaces one still queued), with the newest note given."""

    def __init__(self, note: str | None = None) -> None:
        super().__init__()
        self.note = note

    def can_replace(self, message: Message) -> bool:
        # Textual asks the older message whether a newer queued one supersedes
        # it. The newer one takes over this note unless it has its own, so a
        # note is never lost to a change that says nothing.
        if not isinstance(message, ProjectChanged):
            return False
        if message.note is None:
            message.note = self.note
        return True


class WorkProgress(Message):
    """A worker's progress (import, detection): ``completed`` of ``total``
    (None while counting). Posted from the worker thread; the app's handler
    updates the progress bar. A newer one replaces one still queued (as
    toolong merges its progress messages), so a fast import never floods the
    queue."""

    def __init__(self, completed: int = 0, total: int | None = None, *, visible: bool = True) -> None:
        super().__init__()
        self.completed = completed
        self.total = total
        self.visible = visible

    def can_replace(self, message: Message) -> bool:
        # Textual asks the older message whether a newer queued one supersedes it.
        return isinstance(message, WorkProgress)


class WorkDone(Message):
    """A worker finished: what to tell the researcher (``text``, or the
    ``error`` it ended with), then the panes refresh from the project."""

    def __init__(self, text: str | None = None, *, severity: str = "information", error: Exception | None = None,
                 timeout: float = 6) -> None:
        super().__init__()
        self.text = text
        self.severity = severity
        self.error = error
        self.timeout = timeout


class DetectionReady(Message):
    """A worker brought detection up to date for the pseudonymised view:
    ``text`` says what it did (None when nothing was new); or it was
    ``cancelled``, or stopped with ``error`` (the original text stays)."""

    def __init__(self, text: str | None = None, *, error: Exception | None = None, cancelled: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error
        self.cancelled = cancelled


def error_line(exc: BaseException, path=None) -> str:
    """What the researcher is told when an action failed: the one-line
    explanation of a known failure (any FieldnotesError; locked, read-only,
    full disk), else its type and message and that saved work is safe.
    Never a traceback: document text must not end up on screen in one."""
    from fieldnotes.errors import explain

    known = explain(exc, path)
    if known is not None:
        return str(known)
    return f"Something went wrong: {exc.__class__.__name__}: {exc}. Your saved work is safe; please report this."
