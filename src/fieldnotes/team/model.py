"""The records team coding hands out: what a copy holds, what a merge did, and
a passage where coders disagree."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class CopyReport:
    """A coder's copy as :func:`~fieldnotes.team.copies.make_copy` wrote it."""

    path: str
    coder: str
    blind: bool
    documents: int
    codings: int
    removed_codings: int


@dataclass(slots=True)
class MergeReport:
    """What :func:`~fieldnotes.team.merge.merge_copies` brought in, and what it
    left as the project has it (``conflicts``, ``kept``)."""

    copies: list[str] = field(default_factory=list)
    codings: int = 0
    memos_added: int = 0
    memos_updated: int = 0
    codes_added: list[str] = field(default_factory=list)
    codes_changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept: int = 0           # codings deleted in a copy but kept in the project
    coders: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.codings or self.memos_added or self.memos_updated or self.codes_added
                    or self.codes_changed)


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A passage where coders coded one code differently: the stretch of text
    covered by any of their codings of it, and what each coder coded there."""

    document: str
    code: str                                        # the code's path
    start: int
    end: int
    ranges: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]   # (coder, their ranges), in coder order
    settled: str | None = None                       # the decision, once made

    def ranges_of(self, coder: str) -> tuple[tuple[int, int], ...]:
        return dict(self.ranges).get(coder, ())

    @property
    def title(self) -> str:
        return f"Consensus: {self.code} {self.start}-{self.end}"
