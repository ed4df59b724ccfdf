"""The codebook of a project: a hierarchy of codes of any depth.

Part of the project API (mixed into :class:`fieldnotes.project.Project`). A code
is addressed by its name when that is unique, or by its path
(``"Caseload and time/Caseload"``). Every change runs as one undoable action.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldnotes.errors import FieldnotesError, NotFound
from fieldnotes.model import CodeNode

#: Okabe-Ito (colour-blind safe) plus two more, mid-tone so that text stays
#: readable on them as a tint on light and dark terminals.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
           "#8C6D31", "#AA3377", "#999999")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_TEXT_FIELDS = ("description", "inclusion", "exclusion", "example")


@dataclass(slots=True)
class Code:
    id: int
    guid: str
    parent_id: int | None
    name: str
    path: str
    description: str
    inclusion: str
    exclusion: str
    example: str
    colour: str | None
    sort_order: int
    codings: int = 0
    """Codings of this code itself."""
    total: int = 0
    """Codings of this code and its descendants."""
    children: list[Code] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.path.count("/")


def normalise_colour(colour: str | None) -> str | None:
    if colour is None or colour == "":
        return None
    colour = colour.strip()
    if not _HEX.match(colour):
        raise FieldnotesError(f"Colour '{colour}' is not a #RRGGBB hex colour (for example #56B4E9).")
    if len(colour) == 4:
        colour = "#" + "".join(c * 2 for c in colour[1:])
    return colour.upper()


def split_path(path: str) -> list[str]:
    parts = [p.strip() for p in path.strip().strip("/").split("/")]
    if not parts or any(not p for p in parts):
        raise FieldnotesError(f"'{path}' is not a code path; use names separated by '/', e.g. 'Caseload and time/Caseload'.")
    return parts


class CodebookService:
    """Codes: create, rename, move, merge, delete, describe; codebook files."""

    def __init__(self, project) -> None:
        self.project = project

    @property
    def conn(self):
        return self.project.conn

    # -- reading -------------------------------------------------------------

    def codes(self, counts: bool = True) -> list[Code]:
        """Every code, parents before children, siblings in order, with counts
        of codings (``counts=False`` skips counting, for name lookups)."""
        rows = self.conn.execute(
            "SELECT id, guid, parent_id, name, description, inclusion, exclusion, example, colour, sort_order "
            "FROM codes ORDER BY sort_order, name"
        ).fetchall()
        tally = dict(self.conn.execute("SELECT code_id, count(*) FROM codings GROUP BY code_id").fetchall()) if counts else {}
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

    def code_tree(self) -> list[Code]:
        """Top-level codes (each with ``children``)."""
        return [c for c in self.codes() if c.parent_id is None]

    def code(self, name_or_path: str) -> Code:
        """A code with its counts, by name or path."""
        return self.find_code(self.codes(), name_or_path)

    def code_id(self, name_or_path: str) -> int:
        """Resolve a code by path, or by name when only one code has it."""
        return self.find_code(self.codes(counts=False), name_or_path).id

    def find_code(self, codes: list[Code], name_or_path: str) -> Code:
        """The code named ``name_or_path`` among ``codes`` (as :meth:`codes`
        returns them), or NotFound with the closest names."""
        wanted = name_or_path.strip().strip("/")
        if "/" in wanted:
            folded = "/".join(split_path(wanted)).casefold()
            matches = [c for c in codes if c.path.casefold() == folded]
        else:
            matches = [c for c in codes if c.name == wanted] or [
                c for c in codes if c.name.casefold() == wanted.casefold()
            ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFound(
                f"Several codes are called '{wanted}': {', '.join(c.path for c in matches)}. Give the path."
            )
        from rapidfuzz import fuzz

        folded = wanted.casefold()
        scored = sorted(
            ((max(fuzz.ratio(folded, c.name.casefold()), fuzz.ratio(folded, c.path.casefold())), c) for c in codes),
            key=lambda pair: -pair[0],
        )
        names = [c.name for c in codes]
        close = [c.name if names.count(c.name) == 1 else c.path for score, c in scored[:3] if score >= 75]
        hint = (" Did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else ""
        raise NotFound(f"No code '{wanted}'.{hint} See 'fieldnotes codebook tree'.")

    # -- changing ------------------------------------------------------------

    def _child_id(self, parent_id: int | None, name: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM codes WHERE ifnull(parent_id, 0) = ? AND name = ?", [parent_id or 0, name]
        ).fetchone()
        return row[0] if row else None

    def _next_order(self, parent_id: int | None) -> int:
        return self.conn.execute(
            "SELECT ifnull(max(sort_order), -1) + 1 FROM codes WHERE ifnull(parent_id, 0) = ?", [parent_id or 0]
        ).fetchone()[0]

    def _default_colour(self, parent_id: int | None) -> str:
        if parent_id is not None:
            row = self.conn.execute("SELECT colour FROM codes WHERE id = ?", [parent_id]).fetchone()
            if row and row[0]:
                return row[0]
        used = self.conn.execute("SELECT count(*) FROM codes WHERE parent_id IS NULL").fetchone()[0]
        return PALETTE[used % len(PALETTE)]

    def _insert_code(self, changes, parent_id: int | None, name: str, fields: dict[str, Any], *,
                     order: int | None = None, default_colour: str | None = None) -> int:
        """Insert one code. ``order`` and ``default_colour``, when the caller
        already knows them (a codebook import keeps count), save the queries
        that would otherwise scan the codes table for every code."""
        from fieldnotes.ids import new_guid, now

        if "/" in name or not name.strip():
            raise FieldnotesError(f"'{name}' cannot be a code name: names are not empty and have no '/'.")
        colour = normalise_colour(fields.get("colour")) or default_colour or self._default_colour(parent_id)
        code_id = self.conn.execute(
            "INSERT INTO codes(guid, parent_id, name, description, inclusion, exclusion, example, colour, "
            "sort_order, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [fields.get("guid") or new_guid(), parent_id, name.strip(),
             *(fields.get(f) or "" for f in _TEXT_FIELDS), colour,
             self._next_order(parent_id) if order is None else order, now()],
        ).lastrowid
        changes.inserted("codes", [code_id])
        return code_id

    def add_code(self, path: str, *, description: str = "", inclusion: str = "", exclusion: str = "",
                 example: str = "", colour: str | None = None) -> Code:
        """Create a code at ``path`` ("Group/Code"), creating missing parents.

        An existing code at that path is an error.
        """
        parts = split_path(path)
        with self.project.history.action("code.add", f"add code {'/'.join(parts)}") as changes:
            parent_id = None
            for depth, name in enumerate(parts):
                existing = self._child_id(parent_id, name)
                last = depth == len(parts) - 1
                if existing is not None and last:
                    raise FieldnotesError(f"The code '{'/'.join(parts)}' already exists.")
                if existing is None:
                    fields = dict(description=description, inclusion=inclusion, exclusion=exclusion,
                                  example=example, colour=colour) if last else {}
                    existing = self._insert_code(changes, parent_id, name, fields)
                parent_id = existing
        return self.code("/".join(parts))

    def update_code(self, code: str, **fields: Any) -> Code:
        """Change description, inclusion, exclusion, example or colour."""
        unknown = set(fields) - {*_TEXT_FIELDS, "colour"}
        if unknown:
            raise FieldnotesError(f"Codes have no field {', '.join(sorted(unknown))}.")
        code_id = self.code_id(code)
        if "colour" in fields:
            fields["colour"] = normalise_colour(fields["colour"])
        if not fields:
            return self.code(code)
        with self.project.history.action("code.update", f"edit code {code}") as changes:
            names = list(fields)
            changes.update("codes", [code_id], ", ".join(f"{n} = ?" for n in names), [fields[n] for n in names])
        return next(c for c in self.codes() if c.id == code_id)

    def rename_code(self, code: str, new_name: str) -> Code:
        code_id = self.code_id(code)
        new_name = new_name.strip()
        if "/" in new_name or not new_name:
            raise FieldnotesError(f"'{new_name}' cannot be a code name: names are not empty and have no '/'.")
        parent_id = self.conn.execute("SELECT parent_id FROM codes WHERE id = ?", [code_id]).fetchone()[0]
        other = self._child_id(parent_id, new_name)
        if other is not None and other != code_id:
            raise FieldnotesError(f"A sibling is already called '{new_name}'; merge the codes instead.")
        with self.project.history.action("code.rename", f"rename code {code} to {new_name}") as changes:
            changes.update("codes", [code_id], "name = ?", [new_name])
        return next(c for c in self.codes() if c.id == code_id)

    def move_code(self, code: str, new_parent: str | None) -> Code:
        """Move a code (with its children) under ``new_parent`` (None: top level)."""
        code_id = self.code_id(code)
        parent_id = self.code_id(new_parent) if new_parent else None
        codes = {c.id: c for c in self.codes()}
        moving = codes[code_id]
        if parent_id is not None and (parent_id == code_id or codes[parent_id].path.startswith(moving.path + "/")):
            raise FieldnotesError(f"Cannot move '{moving.path}' under itself or one of its sub-codes.")
        if self._child_id(parent_id, moving.name) not in (None, code_id):
            where = codes[parent_id].path if parent_id else "the top level"
            raise FieldnotesError(f"'{where}' already has a code called '{moving.name}'; merge them instead.")
        with self.project.history.action("code.move", f"move code {moving.path} to {new_parent or 'top level'}") as changes:
            changes.update("codes", [code_id], "parent_id = ?, sort_order = ?", [parent_id, self._next_order(parent_id)])
        return next(c for c in self.codes() if c.id == code_id)

    def merge_codes(self, source: str, target: str) -> int:
        """Merge ``source`` into ``target``: its codings, memos and sub-codes
        move to the target (sub-codes of the same name merge too) and the
        source goes. A passage coded with both keeps one coding. Returns the
        number of codings moved."""
        source_id, target_id = self.code_id(source), self.code_id(target)
        if source_id == target_id:
            raise FieldnotesError("A code cannot be merged into itself.")
        codes = {c.id: c for c in self.codes()}
        if codes[target_id].path.startswith(codes[source_id].path + "/"):
            raise FieldnotesError(f"Cannot merge '{codes[source_id].path}' into its own sub-code.")
        with self.project.history.action("code.merge", f"merge code {codes[source_id].path} into {codes[target_id].path}") as changes:
            moved = self._merge_into(changes, source_id, target_id)
        return moved

    def _merge_into(self, changes, source_id: int, target_id: int) -> int:
        # Codings the target already has on the same range by the same coder
        # would be duplicates: they go, the rest move.
        pairs = self.conn.execute(
            'SELECT s.id, t.id FROM codings s JOIN codings t ON t.code_id = ? AND t.document_id = s.document_id '
            'AND t.start = s.start AND t."end" = s."end" AND ifnull(t.coder_id, 0) = ifnull(s.coder_id, 0) '
            "WHERE s.code_id = ?", [target_id, source_id]).fetchall()
        duplicates = [s for s, _ in pairs]
        for source_coding, target_coding in pairs:  # their memos follow to the surviving coding
            changes.update("memos", self._memo_ids("coding", [source_coding]), "target_id = ?", [target_coding])
        changes.delete("codings", duplicates)
        moving = [r[0] for r in self.conn.execute("SELECT id FROM codings WHERE code_id = ?", [source_id])]
        changes.update("codings", moving, "code_id = ?", [target_id])
        changes.update("memos", self._memo_ids("code", [source_id]), "target_id = ?", [target_id])
        moved = len(moving) + len(duplicates)
        for child_id, name in self.conn.execute(
            "SELECT id, name FROM codes WHERE parent_id = ?", [source_id]
        ).fetchall():
            twin = self._child_id(target_id, name)
            if twin is None:
                changes.update("codes", [child_id], "parent_id = ?, sort_order = ?",
                               [target_id, self._next_order(target_id)])
            else:
                moved += self._merge_into(changes, child_id, twin)
        changes.delete("codes", [source_id])
        return moved

    def _memo_ids(self, target_type: str, ids: Sequence[int]) -> list[int]:
        if not ids:
            return []
        found: list[int] = []
        for i in range(0, len(ids), 900):
            chunk = list(ids[i:i + 900])
            found += [r[0] for r in self.conn.execute(
                f"SELECT id FROM memos WHERE target_type = ? AND target_id IN ({','.join('?' * len(chunk))})",
                [target_type, *chunk])]
        return found

    def delete_code(self, code: str, *, force: bool = False) -> int:
        """Delete a code and its sub-codes. Refused while any has codings,
        unless ``force``; returns how many codings went with it."""
        target = self.code(code)
        subtree = [c for c in self.codes() if c.id == target.id or c.path.startswith(target.path + "/")]
        ids = [c.id for c in subtree]
        in_use = target.total
        if in_use and not force:
            raise FieldnotesError(
                f"'{target.path}' (with its sub-codes) has {in_use} coding(s); merge it into another code, "
                "or delete with --force to remove them too."
            )
        with self.project.history.action("code.delete", f"delete code {target.path}" + (f" and {in_use} coding(s)" if in_use else "")) as changes:
            codings = []
            for i in range(0, len(ids), 900):
                chunk = ids[i:i + 900]
                codings += [r[0] for r in self.conn.execute(
                    f"SELECT id FROM codings WHERE code_id IN ({','.join('?' * len(chunk))})", chunk)]
            changes.delete("memos", self._memo_ids("coding", codings) + self._memo_ids("code", ids))
            changes.delete("codings", codings)
            # Children before parents, so that undo re-inserts parents first.
            changes.delete("codes", [c.id for c in sorted(subtree, key=lambda c: -c.depth)])
        return in_use

    # -- codebook files -------------------------------------------------------

    def import_codebook(self, nodes: Sequence[CodeNode], *, source: str = "") -> dict[str, int]:
        """Merge codes into the codebook by name path: new codes are added,
        existing ones take the file's non-empty fields. Returns counts of
        ``added``, ``updated`` and ``unchanged`` codes."""
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        guids = {r[0] for r in self.conn.execute("SELECT guid FROM codes")}
        with self.project.history.action("codebook.import", f"import codebook {source}".strip()) as changes:
            # The codes table read once, then kept in step: looking each code
            # up by (parent, name) in SQL scanned the table (no index fits
            # ``ifnull(parent_id, 0)``), which made large codebooks quadratic.
            ids: dict[tuple[int, str], int] = {}
            orders: dict[int, int] = {}
            colours: dict[int, str] = {}
            for code_id, parent, name, order, colour in self.conn.execute(
                    "SELECT id, parent_id, name, sort_order, colour FROM codes"):
                ids[(parent or 0, name)] = code_id
                orders[parent or 0] = max(orders.get(parent or 0, 0), (order or 0) + 1)
                colours[code_id] = colour
            top_level = sum(1 for parent, _ in ids if parent == 0)

            def visit(node: CodeNode, parent_id: int | None) -> None:
                nonlocal top_level
                name = node.name.strip().replace("/", "∕")
                existing = ids.get((parent_id or 0, name))
                fields = {f: getattr(node, f) for f in _TEXT_FIELDS if getattr(node, f)}
                if node.colour:
                    fields["colour"] = normalise_colour(node.colour)
                if existing is None:
                    guid = node.guid if node.guid and node.guid not in guids else None
                    default = (colours.get(parent_id) if parent_id is not None else None) or PALETTE[top_level % len(PALETTE)]
                    existing = self._insert_code(changes, parent_id, name, {**fields, "guid": guid},
                                                 order=orders.get(parent_id or 0, 0), default_colour=default)
                    orders[parent_id or 0] = orders.get(parent_id or 0, 0) + 1
                    ids[(parent_id or 0, name)] = existing
                    colours[existing] = fields.get("colour") or default
                    top_level += parent_id is None
                    guids.add(guid or "")
                    counts["added"] += 1
                else:
                    row = dict(zip(("description", "inclusion", "exclusion", "example", "colour"), self.conn.execute(
                        "SELECT description, inclusion, exclusion, example, colour FROM codes WHERE id = ?",
                        [existing]).fetchone()))
                    different = {k: v for k, v in fields.items() if row.get(k) != v}
                    if different:
                        names = list(different)
                        changes.update("codes", [existing], ", ".join(f"{n} = ?" for n in names),
                                       [different[n] for n in names])
                        counts["updated"] += 1
                    else:
                        counts["unchanged"] += 1
                for child in node.children:
                    visit(child, existing)

            for node in nodes:
                visit(node, None)
        return counts

    def codebook_nodes(self) -> list[CodeNode]:
        """The codebook as :class:`CodeNode` trees, for writing files."""
        def node(code: Code) -> CodeNode:
            return CodeNode(code.name, code.description, code.inclusion, code.exclusion, code.example,
                            code.colour, code.guid, [node(c) for c in code.children])

        return [node(c) for c in self.code_tree()]
