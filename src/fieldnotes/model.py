"""Plain, frozen records that the project API hands to the UIs. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("interview", "focus_group", "observation", "field_note", "case_note", "other")
VARIABLE_TYPES = ("integer", "number", "date", "text")


@dataclass(frozen=True, slots=True)
class Turn:
    seq: int
    speaker: str | None
    start: int
    end: int
    time_start: float | None = None
    time_end: float | None = None


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    id: int
    name: str
    kind: str
    format: str
    words: int
    turns: int
    codings: int
    cases: tuple[str, ...]
    attributes: dict[str, Any]
    imported_at: str


@dataclass(frozen=True, slots=True)
class Document:
    id: int
    guid: str
    name: str
    kind: str
    format: str
    text: str
    words: int
    sha256: str
    source_path: str | None
    encoding: str | None
    imported_at: str
    turns: tuple[Turn, ...]
    cases: tuple[str, ...]
    attributes: dict[str, Any]

    def turn_at(self, offset: int) -> Turn | None:
        """The turn that contains ``offset``, if any."""
        for turn in self.turns:
            if turn.start <= offset < turn.end:
                return turn
        return None


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    name: str
    documents: tuple[str, ...]
    attributes: dict[str, Any] = field(default_factory=dict)
    speakers: tuple[tuple[str, str], ...] = ()
    """(document, speaker label) pairs: in those documents only that speaker's
    turns are the case's words."""


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    type: str
    documents: int
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class VariableRef:
    """An attribute as a name resolves to it: its id, stored name and type."""
    id: int
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    document: str
    start: int
    end: int
    speaker: str | None
    snippet: str
    """The context around the hit, with the hit between ``[`` and ``]`` markers
    at ``snippet_hit`` (start, end) so a UI can highlight it."""
    snippet_hit: tuple[int, int]
    attributes: dict[str, Any]


@dataclass(slots=True)
class FileOutcome:
    """What happened to one file of an import."""

    path: str
    status: str  # imported | replaced | skipped | failed
    document: str | None = None
    message: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def of(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[FileOutcome]:
        return self.of("failed")


@dataclass(slots=True)
class CodeNode:
    """A code in a codebook file (YAML or REFI-QDA .qdc), independent of any
    project: what codebook readers return and writers take."""

    name: str
    description: str = ""
    inclusion: str = ""
    exclusion: str = ""
    example: str = ""
    colour: str | None = None
    guid: str | None = None
    children: list[CodeNode] = field(default_factory=list)

    def walk(self, prefix: tuple[str, ...] = ()):
        """Yield ``(path, node)`` for this node and every descendant."""
        path = (*prefix, self.name)
        yield path, self
        for child in self.children:
            yield from child.walk(path)
