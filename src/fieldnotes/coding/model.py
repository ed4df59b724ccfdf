"""The records the coding services return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Coder:
    """Someone who codes: their name as the project spells it."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Coding:
    id: int
    guid: str
    document: str
    code: str
    """The code's path."""
    start: int
    end: int
    coder: str | None
    created_at: str
    text: str


@dataclass(frozen=True, slots=True)
class Passage:
    """A coded passage as a report needs it."""

    document: str
    code: str
    start: int
    end: int
    speaker: str | None
    attribution: str
    text: str
    coder: str | None
    attributes: dict[str, Any]
    coding_id: int
    segments: tuple = ()
    """The passage cut at its speakers' turns, each part attributed
    (:class:`fieldnotes.attribution.Segment`); labels and time codes left out."""

    @property
    def note(self) -> bool:
        """Every part is the researcher's note (an observation, "Note: ...")."""
        return bool(self.segments) and all(s.note for s in self.segments)


@dataclass(frozen=True, slots=True)
class Memo:
    id: int
    guid: str
    target_type: str
    target: str | None
    title: str
    text: str
    coder: str | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class Hit:
    """An autocoding hit: the passage to code and what matched in it."""

    document: str
    start: int
    end: int
    match_start: int
    match_end: int
    speaker: str | None
    already_coded: bool
