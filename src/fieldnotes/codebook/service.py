"""The codebook of a project: a hierarchy of codes of any depth.

Part of the project API (``project.codebook``). A code is addressed by its
name when that is unique, or by its path (``"Caseload and time/Caseload"``).
Every change runs as one undoable action. The SQL is in
:mod:`fieldnotes.store.queries.codebook`; the tree rules in
:mod:`fieldnotes.codebook.tree`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fieldnotes.codebook import tree
from fieldnotes.codebook.model import PALETTE, Code, check_name, normalise_colour, split_path
from fieldnotes.errors import FieldnotesError
from fieldnotes.model import CodeNode
from fieldnotes.service import Service
from fieldnotes.store.queries import codebook as q

_TEXT_FIELDS = q.TEXT_FIELDS


class CodebookService(Service):
    """Codes: create, rename, move, merge, delete, describe; codebook files."""

    # -- reading -------------------------------------------------------------

    def codes(self, counts: bool = True) -> list[Code]:
        """Every code, parents before children, siblings in order, with counts
        of codings (``counts=False`` skips counting, for name lookups)."""
        return tree.arrange(q.code_rows(self.conn), q.coding_counts(self.conn) if counts else {})

    def code_tree(self) -> list[Code]:
        """Top-level codes (each with ``children``)."""
        return [c for c in self.codes() if c.parent_id is None]

    def code(self, name_or_path: str) -> Code:
        """A code with its counts, by name or path."""
        return tree.find(self.codes(), name_or_path)

    def code_id(self, name_or_path: str) -> int:
        """Resolve a code by path, or by name when only one code has it."""
        return tree.find(self.codes(counts=False), name_or_path).id

    def find_code(self, codes: list[Code], name_or_path: str) -> Code:
        """The code named ``name_or_path`` among ``codes`` (as :meth:`codes`
        returns them), or NotFound with the closest names."""
        return tree.find(codes, name_or_path)

    def subtree(self, code: str | Code, *, codes: list[Code] | None = None) -> list[Code]:
        """A code and its sub-codes (at any depth), the code first, in tree
        order: the one meaning of "a code and its sub-codes" that coding
        retrieval, the workspace and the analyses share. ``code`` is a name,
        a path or a :class:`Code`; ``codes`` (as :meth:`codes` returns them)
        saves reading the codebook again."""
        codes = self.codes(counts=False) if codes is None else codes
        root = tree.find(codes, code) if isinstance(code, str) else code
        return tree.subtree(codes, root)

    # -- changing ------------------------------------------------------------

    def child_id(self, parent_id: int | None, name: str) -> int | None:
        """The id of the code directly under ``parent_id`` (None: top level)
        that ``name`` names, or None: the same name exactly, else the same but
        for case (see :func:`~fieldnotes.codebook.model.name_key`). Every
        "is there already a code here by this name" check asks this."""
        return tree.Siblings((cid, parent_id, other) for cid, other in q.children(self.conn, parent_id)).get(parent_id, name)

    def _default_colour(self, parent_id: int | None) -> str:
        if parent_id is not None:
            colour = q.colour(self.conn, parent_id)
            if colour:
                return colour
        return PALETTE[q.top_level_count(self.conn) % len(PALETTE)]

    def _insert_code(self, changes, parent_id: int | None, name: str, fields: dict[str, Any], *,
                     order: int | None = None, default_colour: str | None = None) -> int:
        """Insert one code. ``order`` and ``default_colour``, when the caller
        already knows them (a codebook import keeps count), save the queries
        that would otherwise scan the codes table for every code."""
        from fieldnotes.ids import new_guid, now

        name = check_name(name)
        colour = normalise_colour(fields.get("colour")) or default_colour or self._default_colour(parent_id)
        code_id = q.insert_code(
            self.conn, guid=fields.get("guid") or new_guid(), parent_id=parent_id, name=name,
            texts=[fields.get(f) or "" for f in _TEXT_FIELDS], colour=colour,
            sort_order=q.next_order(self.conn, parent_id) if order is None else order, created_at=now())
        changes.inserted("codes", [code_id])
        return code_id

    def add_code(self, path: str, *, description: str = "", inclusion: str = "", exclusion: str = "",
                 example: str = "", colour: str | None = None) -> Code:
        """Create a code at ``path`` ("Group/Code"), creating missing parents.

        An existing code at that path (case aside) is an error.
        """
        parts = split_path(path)
        with self.project.history.action("code.add", f"add code {'/'.join(parts)}") as changes:
            parent_id = None
            for depth, name in enumerate(parts):
                existing = self.child_id(parent_id, name)
                last = depth == len(parts) - 1
                if existing is not None and last:
                    there = next(c.path for c in self.codes(counts=False) if c.id == existing)
                    typed = "/".join(parts)
                    raise FieldnotesError(f"The code '{typed}' already exists." if there == typed else
                                          f"The code '{typed}' already exists as '{there}' "
                                          "(codes beside each other differ by more than case).")
                if existing is None:
                    fields = dict(description=description, inclusion=inclusion, exclusion=exclusion,
                                  example=example, colour=colour) if last else {}
                    existing = self._insert_code(changes, parent_id, name, fields)
                parent_id = existing
        return next(c for c in self.codes() if c.id == parent_id)

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
        """Give a code a new name; its place, codings and sub-codes stay."""
        code_id = self.code_id(code)
        new_name = check_name(new_name)
        other = self.child_id(q.parent_id(self.conn, code_id), new_name)
        if other is not None and other != code_id:
            raise FieldnotesError(f"A sibling is already called '{new_name}'; merge the codes instead.")
        with self.project.history.action("code.rename", f"rename code {code} to {new_name}") as changes:
            changes.update("codes", [code_id], "name = ?", [new_name])
        return next(c for c in self.codes() if c.id == code_id)

    def move_code(self, code: str, new_parent: str | None) -> Code:
        """Move a code (with its children) under ``new_parent`` (None: top level)."""
        codes = self.codes()
        moving = tree.find(codes, code)
        parent = tree.find(codes, new_parent) if new_parent else None
        if parent is not None and parent.id in {c.id for c in self.subtree(moving, codes=codes)}:
            raise FieldnotesError(f"Cannot move '{moving.path}' under itself or one of its sub-codes.")
        parent_id = parent.id if parent else None
        if self.child_id(parent_id, moving.name) not in (None, moving.id):
            where = parent.path if parent else "the top level"
            raise FieldnotesError(f"'{where}' already has a code called '{moving.name}'; merge them instead.")
        with self.project.history.action("code.move", f"move code {moving.path} to {new_parent or 'top level'}") as changes:
            changes.update("codes", [moving.id], "parent_id = ?, sort_order = ?",
                           [parent_id, q.next_order(self.conn, parent_id)])
        return next(c for c in self.codes() if c.id == moving.id)

    def merge_codes(self, source: str, target: str) -> int:
        """Merge ``source`` into ``target``: its codings, memos and sub-codes
        move to the target (sub-codes of the same name merge too) and the
        source goes. A passage coded with both keeps one coding. Returns the
        number of codings moved."""
        codes = self.codes(counts=False)
        source_code, target_code = tree.find(codes, source), tree.find(codes, target)
        if source_code.id == target_code.id:
            raise FieldnotesError("A code cannot be merged into itself.")
        if target_code.id in {c.id for c in self.subtree(source_code, codes=codes)}:
            raise FieldnotesError(f"Cannot merge '{source_code.path}' into its own sub-code.")
        with self.project.history.action("code.merge", f"merge code {source_code.path} into {target_code.path}") as changes:
            moved = self._merge_into(changes, source_code.id, target_code.id)
        return moved

    def _merge_into(self, changes, source_id: int, target_id: int) -> int:
        # Codings the target already has on the same range by the same coder
        # would be duplicates: they go, the rest move.
        pairs = q.duplicate_codings(self.conn, source_id, target_id)
        duplicates = [s for s, _ in pairs]
        for source_coding, target_coding in pairs:  # their memos follow to the surviving coding
            changes.update("memos", self.project.memos.ids_on("coding", [source_coding]), "target_id = ?", [target_coding])
        changes.delete("codings", duplicates)
        moving = q.coding_ids(self.conn, [source_id])
        changes.update("codings", moving, "code_id = ?", [target_id])
        changes.update("memos", self.project.memos.ids_on("code", [source_id]), "target_id = ?", [target_id])
        moved = len(moving) + len(duplicates)
        for child_id, name in q.children(self.conn, source_id):
            twin = self.child_id(target_id, name)
            if twin is None:
                changes.update("codes", [child_id], "parent_id = ?, sort_order = ?",
                               [target_id, q.next_order(self.conn, target_id)])
            else:
                moved += self._merge_into(changes, child_id, twin)
        changes.delete("codes", [source_id])
        return moved

    def delete_code(self, code: str, *, force: bool = False) -> int:
        """Delete a code and its sub-codes. Refused while any has codings,
        unless ``force``; returns how many codings went with it."""
        codes = self.codes()
        target = tree.find(codes, code)
        subtree = self.subtree(target, codes=codes)
        ids = [c.id for c in subtree]
        in_use = target.total
        if in_use and not force:
            raise FieldnotesError(
                f"'{target.path}' (with its sub-codes) has {in_use} coding(s); merge it into another code, "
                "or delete with --force to remove them too."
            )
        with self.project.history.action("code.delete", f"delete code {target.path}" + (f" and {in_use} coding(s)" if in_use else "")) as changes:
            codings = q.coding_ids(self.conn, ids)
            changes.delete("memos", self.project.memos.ids_on("coding", codings) + self.project.memos.ids_on("code", ids))
            changes.delete("codings", codings)
            # Children before parents, so that undo re-inserts parents first.
            changes.delete("codes", [c.id for c in sorted(subtree, key=lambda c: -c.depth)])
        return in_use

    # -- codebook files -------------------------------------------------------

    def import_codebook(self, nodes: Sequence[CodeNode], *, source: str = "") -> dict[str, int]:
        """Merge codes into the codebook by name path (case aside, as
        :meth:`code` finds paths): new codes are added, existing ones take the
        file's non-empty fields. Returns counts of ``added``, ``updated`` and
        ``unchanged`` codes."""
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        guids = q.guids(self.conn)
        with self.project.history.action("codebook.import", f"import codebook {source}".strip()) as changes:
            # The codes table read once, then kept in step: looking each code
            # up by (parent, name) in SQL scanned the table (no index fits
            # ``ifnull(parent_id, 0)``), which made large codebooks quadratic.
            siblings = tree.Siblings()   # found as child_id finds them
            orders: dict[int, int] = {}
            colours: dict[int, str] = {}
            top_level = 0
            for code_id, parent, name, order, colour in q.sibling_index(self.conn):
                siblings.add(parent, name, code_id)
                orders[parent or 0] = max(orders.get(parent or 0, 0), (order or 0) + 1)
                colours[code_id] = colour
                top_level += parent is None

            def visit(node: CodeNode, parent_id: int | None) -> None:
                nonlocal top_level
                name = node.name.strip().replace("/", "∕")
                existing = siblings.get(parent_id, name)
                fields = {f: getattr(node, f) for f in _TEXT_FIELDS if getattr(node, f)}
                if node.colour:
                    fields["colour"] = normalise_colour(node.colour)
                if existing is None:
                    guid = node.guid if node.guid and node.guid not in guids else None
                    default = (colours.get(parent_id) if parent_id is not None else None) or PALETTE[top_level % len(PALETTE)]
                    existing = self._insert_code(changes, parent_id, name, {**fields, "guid": guid},
                                                 order=orders.get(parent_id or 0, 0), default_colour=default)
                    orders[parent_id or 0] = orders.get(parent_id or 0, 0) + 1
                    siblings.add(parent_id, name, existing)
                    colours[existing] = fields.get("colour") or default
                    top_level += parent_id is None
                    guids.add(guid or "")
                    counts["added"] += 1
                else:
                    row = q.fields(self.conn, existing)
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
