"""The codebook as a tree: codes in tree order with their paths and counts,
a code's sub-tree, and finding a code by name or path.

These are the one definition of each: the codebook service, coding
retrieval, the workspace and the analysis engine (``CodeTree``) all use them,
so "a code and its sub-codes" means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fieldnotes.codebook.model import Code, name_key, split_path
from fieldnotes.errors import NotFound, matching


def arrange(rows: Iterable[Sequence[Any]], tally: dict[int, int]) -> list[Code]:
    """Codes from ``rows`` (as :func:`fieldnotes.store.queries.codebook.code_rows`
    returns them) in tree order: parents before children, siblings in order,
    each with its path, ``children``, own codings (from ``tally``) and total."""
    by_id = {r[0]: Code(*r[:3], r[3], "", *r[4:], codings=tally.get(r[0], 0)) for r in rows}
    roots: list[Code] = []
    for code in by_id.values():
        parent = by_id.get(code.parent_id)
        (parent.children if parent else roots).append(code)
    ordered: list[Code] = []

    def visit(code: Code, prefix: str) -> int:
        code.path = f"{prefix}/{code.name}" if prefix else code.name
        ordered.append(code)
        code.total = code.codings + sum(visit(child, code.path) for child in code.children)
        return code.total

    for root in roots:
        visit(root, "")
    return ordered


def subtree_ends(codes: Sequence[Any]) -> list[int]:
    """For codes in tree order (as :func:`arrange` returns them), the end of
    each code's sub-tree: code ``i`` and its descendants are ``codes[i:end[i]]``.

    A sub-code is a code whose parent chain reaches the code, by id, never by
    comparing paths: a path is names joined by "/", so it stands for one
    place in the tree only while no name holds a "/".
    """
    position = {c.id: i for i, c in enumerate(codes)}
    end = list(range(1, len(codes) + 1))
    for i in range(len(codes) - 1, -1, -1):
        parent = position.get(codes[i].parent_id, -1) if codes[i].parent_id is not None else -1
        if parent >= 0:
            end[parent] = max(end[parent], end[i])
    return end


def subtree(codes: Sequence[Code], root: Code) -> list[Code]:
    """``root`` and its descendants among ``codes`` (in tree order)."""
    i = next(i for i, c in enumerate(codes) if c.id == root.id)
    return list(codes[i:subtree_ends(codes)[i]])


class Siblings:
    """Codes by parent and name, found as every "is there already a code
    here by this name" check finds them: the exact name, else the same but
    for case (:func:`~fieldnotes.codebook.model.name_key`). Built once from
    ``(id, parent_id, name)`` rows; :meth:`add` keeps it in step during a
    bulk import."""

    def __init__(self, rows: Iterable[tuple[int, int | None, str]] = ()) -> None:
        self._exact: dict[tuple[int, str], int] = {}
        self._folded: dict[tuple[int, str], int] = {}
        for code_id, parent_id, name in rows:
            self.add(parent_id, name, code_id)

    def add(self, parent_id: int | None, name: str, code_id: int) -> None:
        self._exact[(parent_id or 0, name)] = code_id
        self._folded.setdefault((parent_id or 0, name_key(name)), code_id)

    def get(self, parent_id: int | None, name: str) -> int | None:
        """The id of the code called ``name`` under ``parent_id`` (None: top level)."""
        found = self._exact.get((parent_id or 0, name))
        return found if found is not None else self._folded.get((parent_id or 0, name_key(name)))

    def walk(self, names: Sequence[str]) -> int | None:
        """The id of the code at the path ``names`` (one name per level), or None."""
        code_id = None
        for name in names:
            code_id = self.get(code_id, name)
            if code_id is None:
                return None
        return code_id


def find(codes: Sequence[Code], name_or_path: str) -> Code:
    """The code called ``name_or_path`` among ``codes``: by path when it has a
    "/" (case does not count), else by name (exactly, then without case).
    Several matches or none raise NotFound saying what to type instead."""
    wanted = name_or_path.strip().strip("/")
    if "/" in wanted:
        folded = "/".join(split_path(wanted)).casefold()
        matches = [c for c in codes if c.path.casefold() == folded]
    else:
        matches = matching(codes, wanted, lambda c: c.name)
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise NotFound(
            f"Several codes are called '{wanted}': {', '.join(c.path for c in matches)}. Give the path."
        )
    raise NotFound(f"No code '{wanted}'.{_closest(codes, wanted)} See 'fieldnotes codebook tree'.")


def _closest(codes: Sequence[Code], wanted: str) -> str:
    from rapidfuzz import fuzz

    folded = wanted.casefold()
    scored = sorted(
        ((max(fuzz.ratio(folded, c.name.casefold()), fuzz.ratio(folded, c.path.casefold())), c) for c in codes),
        key=lambda pair: -pair[0],
    )
    names = [c.name for c in codes]
    close = [c.name if names.count(c.name) == 1 else c.path for score, c in scored[:3] if score >= 75]
    return (" Did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else ""
