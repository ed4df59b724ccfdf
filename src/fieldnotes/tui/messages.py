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
    """Codes, codings or memos changed: panes refresh their counts."""
