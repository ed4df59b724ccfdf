"""Coding passages: apply and remove codes on character ranges, memos,
autocoding, retrieval of passages with attributions, undo and redo.

Part of the project API (mixed into :class:`fieldnotes.project.Project`).
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fieldnotes import history, passages
from fieldnotes.errors import FieldnotesError, NotFound

MEMO_TARGETS = ("project", "document", "code", "coding", "case")


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


def attribution(template: str, attributes: dict[str, Any]) -> str:
    """Fill ``template`` from attributes (see :func:`fieldnotes.attribution.fill`)."""
    from fieldnotes.attribution import fill

    return fill(template, attributes)


class CodingService:

    def __init__(self, project) -> None:
        self.project = project

    @property
    def conn(self):
        return self.project.conn

    # -- actions and history --------------------------------------------------

    # -- coders ------------------------------------------------------------------

    def coder_name(self, explicit: str | None = None) -> str:
        """Who is coding: ``--coder``, else FIELDNOTES_CODER, else ``coder`` in
        the config file, else the project's ``coder`` setting, and only then
        the operating-system login (which in a container is often "root" and
        would be written into codings and .qdpx exports)."""
        from fieldnotes.config import coder_name, load_config

        chosen = explicit or self.project.coder
        if not chosen and not os.environ.get("FIELDNOTES_CODER", "").strip() \
                and not str(load_config().get("coder", "")).strip():
            chosen = (self.project.setting("coder") or "").strip() or None
        return coder_name(chosen)

    def coder_id(self, name: str | None = None, changes: history.ChangeSet | None = None) -> int:
        """The id of coder ``name`` (default: the current coder), created if new."""
        from fieldnotes.ids import new_guid, now

        name = self.coder_name(name)
        row = self.conn.execute("SELECT id FROM coders WHERE name = ?", [name]).fetchone()
        if row:
            return row[0]
        coder_id = self.conn.execute(
            "INSERT INTO coders(guid, name, created_at) VALUES (?, ?, ?)", [new_guid(), name, now()]
        ).lastrowid
        if changes is not None:
            changes.inserted("coders", [coder_id])
        return coder_id

    # -- applying and removing codes -----------------------------------------

    def _check_range(self, name: str, length: int, start: int, end: int) -> None:
        if not (0 <= start < end <= length):
            raise FieldnotesError(
                f"Range {start}-{end} is not inside '{name}' ({length} characters); "
                "a passage needs 0 <= start < end <= length."
            )

    def find_text(self, document: str, quoted: str, occurrence: int | None = None) -> tuple[int, int]:
        """Where ``quoted`` occurs in a document (exactly, or with any run of
        whitespace between its words). Several places need ``occurrence``."""
        text = self.project.document_text(self.project.document_id(document))
        words = quoted.split()
        if not words:
            raise FieldnotesError("Give the words of the passage to --match.")
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        found = [(m.start(), m.end()) for m in pattern.finditer(text)]
        if not found:
            found = [(m.start(), m.end()) for m in re.compile(pattern.pattern, re.IGNORECASE).finditer(text)]
        if not found:
            raise NotFound(f"'{quoted}' does not occur in '{document}'. Check the words, or give --start and --end.")
        if occurrence is None:
            if len(found) > 1:
                raise FieldnotesError(
                    f"'{quoted}' occurs {len(found)} times in '{document}' (at {', '.join(str(a) for a, _ in found[:6])}); "
                    "choose one with --occurrence N."
                )
            return found[0]
        if not 1 <= occurrence <= len(found):
            raise FieldnotesError(f"'{quoted}' occurs {len(found)} time(s) in '{document}'; --occurrence {occurrence} is out of range.")
        return found[occurrence - 1]

    def apply_coding(self, document: str, code: str, start: int, end: int, *, coder: str | None = None) -> tuple[Coding, bool]:
        """Code ``document[start:end]`` with ``code``. Returns the coding and
        whether it is new (the same code on the same range by the same coder
        is one coding)."""
        doc_id = self.project.document_id(document)
        code_id = self.project.codebook.code_id(code)
        text = self.project.document_text(doc_id)
        self._check_range(document, len(text), start, end)
        with self.project.history.action("coding.apply", f"code {document} {start}-{end} as {code}") as changes:
            coding_id, new = self._insert_coding(changes, doc_id, code_id, start, end, self.coder_id(coder, changes))
        return self.coding(coding_id), new

    def _insert_coding(self, changes, doc_id: int, code_id: int, start: int, end: int, coder_id: int) -> tuple[int, bool]:
        from fieldnotes.ids import new_guid, now

        cursor = self.conn.execute(
            'INSERT OR IGNORE INTO codings(guid, document_id, code_id, start, "end", coder_id, created_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [new_guid(), doc_id, code_id, start, end, coder_id, now()],
        )
        if cursor.rowcount:
            changes.inserted("codings", [cursor.lastrowid])
            return cursor.lastrowid, True
        existing = self.conn.execute(
            'SELECT id FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND "end" = ? '
            "AND ifnull(coder_id, 0) = ?", [doc_id, code_id, start, end, coder_id]).fetchone()
        return existing[0], False

    def apply_codings(self, items: Sequence[tuple[int, int, int, int]], *, coder: str | None = None,
                      summary: str | None = None) -> int:
        """Apply many codings at once, as one undoable action.

        ``items`` are ``(document_id, code_id, start, end)``; ranges are checked
        against each document's length. Returns how many were new.
        """
        from fieldnotes.ids import now

        lengths = dict(self.conn.execute("SELECT id, length(text) FROM documents").fetchall())
        code_ids = {r[0] for r in self.conn.execute("SELECT id FROM codes")}
        for doc_id, code_id, start, end in items:
            if doc_id not in lengths:
                raise NotFound(f"No document with id {doc_id}.")
            if code_id not in code_ids:
                raise NotFound(f"No code with id {code_id}.")
            if not (0 <= start < end <= lengths[doc_id]):
                raise FieldnotesError(f"Range {start}-{end} is not inside document {doc_id} ({lengths[doc_id]} characters).")
        stamp = now()
        import uuid

        with self.project.history.action("coding.apply_many", summary or f"apply {len(items)} codings") as changes:
            coder_id = self.coder_id(coder, changes)
            before = self.conn.execute("SELECT ifnull(max(id), 0) FROM codings").fetchone()[0]
            self.conn.executemany(
                'INSERT OR IGNORE INTO codings(guid, document_id, code_id, start, "end", coder_id, created_at) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(str(uuid.uuid4()), d, c, s, e, coder_id, stamp) for d, c, s, e in items],
            )
            new_ids = [r[0] for r in self.conn.execute("SELECT id FROM codings WHERE id > ? ORDER BY id", [before])]
            changes.inserted("codings", new_ids)
        return len(new_ids)

    def remove_coding(self, coding_id: int) -> Coding:
        coding = self.coding(coding_id)
        with self.project.history.action("coding.remove", f"remove {coding.code} from {coding.document} {coding.start}-{coding.end}") as changes:
            changes.delete("memos", self.project.codebook._memo_ids("coding", [coding_id]))
            changes.delete("codings", [coding_id])
        return coding

    def codings_at(self, document: str, offset: int) -> list[Coding]:
        doc_id = self.project.document_id(document)
        ids = [r[0] for r in self.conn.execute(
            'SELECT id FROM codings WHERE document_id = ? AND start <= ? AND "end" > ? ORDER BY start', [doc_id, offset, offset])]
        return [self.coding(i) for i in ids]

    def coding(self, coding_id: int) -> Coding:
        rows = self._codings("c.id = ?", [coding_id])
        if not rows:
            raise NotFound(f"No coding {coding_id}. List codings with 'fieldnotes code list'.")
        return rows[0]

    def codings(self, *, document: str | None = None, code: str | None = None, include_children: bool = True) -> list[Coding]:
        """Codings of a document, of a code (and its sub-codes), or all."""
        clauses, params = [], []
        if document is not None:
            clauses.append("c.document_id = ?")
            params.append(self.project.document_id(document))
        if code is not None:
            ids = self._code_ids(code, include_children)
            clauses.append(f"c.code_id IN ({','.join('?' * len(ids))})")
            params += ids
        return self._codings(" AND ".join(clauses) or "1", params)

    def _code_ids(self, code: str, include_children: bool) -> list[int]:
        if not include_children:
            return [self.project.codebook.code_id(code)]
        return [c.id for c in self.project.codebook.subtree(code)]

    def _codings(self, where: str, params: Sequence[Any]) -> list[Coding]:
        paths = {c.id: c.path for c in self.project.codebook.codes(counts=False)}
        rows = self.conn.execute(
            'SELECT c.id, c.guid, c.document_id, d.name, c.code_id, c.start, c."end", k.name, c.created_at '
            "FROM codings c JOIN documents d ON d.id = c.document_id LEFT JOIN coders k ON k.id = c.coder_id "
            f"WHERE {where} ORDER BY d.name, c.start, c.\"end\", c.id",
            list(params),
        ).fetchall()
        texts = self.project.texts({r[2] for r in rows})
        return [Coding(r[0], r[1], r[3], paths[r[4]], r[5], r[6], r[7], r[8], texts[r[2]][r[5]:r[6]]) for r in rows]

    def coding_spans(self, document: str) -> list[tuple[int, int, int, int]]:
        """``(coding_id, code_id, start, end)`` of a document's codings: what a
        view needs to shade them, without their text."""
        doc_id = self.project.document_id(document)
        return self.conn.execute(
            'SELECT id, code_id, start, "end" FROM codings WHERE document_id = ? ORDER BY start', [doc_id]).fetchall()

    # -- memos -----------------------------------------------------------------

    def _memo_target(self, target_type: str, target: str | int | None) -> int | None:
        if target_type not in MEMO_TARGETS:
            raise FieldnotesError(f"A memo belongs to one of {', '.join(MEMO_TARGETS)}.")
        if target_type == "project":
            return None
        if target_type == "document":
            return self.project.document_id(str(target))
        if target_type == "code":
            return self.project.codebook.code_id(str(target))
        if target_type == "case":
            row = self.conn.execute("SELECT id FROM cases WHERE name = ?", [str(target)]).fetchone()
            if not row:
                raise NotFound(f"No case '{target}'. See 'fieldnotes cases'.")
            return row[0]
        return self.coding(int(target)).id

    def add_memo(self, target_type: str, target: str | int | None, text: str, *, title: str = "",
                 coder: str | None = None) -> Memo:
        """Write a memo on the project, a document, a code, a coding or a case."""
        from fieldnotes.ids import new_guid, now

        if not text.strip():
            raise FieldnotesError("A memo needs some text.")
        target_id = self._memo_target(target_type, target)
        with self.project.history.action("memo.add", f"memo on {target_type} {target or ''}".strip()) as changes:
            stamp = now()
            memo_id = self.conn.execute(
                "INSERT INTO memos(guid, target_type, target_id, title, text, coder_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [new_guid(), target_type, target_id, title, text, self.coder_id(coder, changes), stamp, stamp],
            ).lastrowid
            changes.inserted("memos", [memo_id])
        return self.memos(memo_id=memo_id)[0]

    def edit_memo(self, memo_id: int, text: str) -> Memo:
        from fieldnotes.ids import now

        self.memos(memo_id=memo_id)
        with self.project.history.action("memo.edit", f"edit memo {memo_id}") as changes:
            changes.update("memos", [memo_id], "text = ?, updated_at = ?", [text, now()])
        return self.memos(memo_id=memo_id)[0]

    def delete_memo(self, memo_id: int) -> None:
        self.memos(memo_id=memo_id)
        with self.project.history.action("memo.delete", f"delete memo {memo_id}") as changes:
            changes.delete("memos", [memo_id])

    def memos(self, target_type: str | None = None, target: str | int | None = None, *, memo_id: int | None = None) -> list[Memo]:
        clauses, params = [], []
        if memo_id is not None:
            clauses.append("m.id = ?")
            params.append(memo_id)
        if target_type is not None:
            clauses.append("m.target_type = ?")
            params.append(target_type)
            if target is not None or target_type == "project":
                target_id = self._memo_target(target_type, target)
                clauses.append("m.target_id IS ?")
                params.append(target_id)
        rows = self.conn.execute(
            "SELECT m.id, m.guid, m.target_type, m.target_id, m.title, m.text, k.name, m.updated_at "
            "FROM memos m LEFT JOIN coders k ON k.id = m.coder_id "
            f"WHERE {' AND '.join(clauses) or '1'} ORDER BY m.id", params).fetchall()
        if memo_id is not None and not rows:
            raise NotFound(f"No memo {memo_id}.")
        names = self._target_names()
        return [Memo(r[0], r[1], r[2], names.get((r[2], r[3])), r[4], r[5], r[6], r[7]) for r in rows]

    def _target_names(self) -> dict[tuple[str, int | None], str]:
        names: dict[tuple[str, int | None], str] = {("project", None): "project"}
        names.update({("document", i): n for i, n in self.conn.execute("SELECT id, name FROM documents")})
        names.update({("code", c.id): c.path for c in self.project.codebook.codes()})
        names.update({("case", i): n for i, n in self.conn.execute("SELECT id, name FROM cases")})
        names.update({("coding", i): f"coding {i}" for (i,) in self.conn.execute("SELECT id FROM codings")})
        return names

    # -- autocoding ---------------------------------------------------------------

    def autocode(
        self, code: str, *, keywords: Sequence[str] = (), regex: str | None = None, fuzzy: str | None = None,
        threshold: float = 85.0, speaker: str | None = None, scope: str = "sentence",
        documents: Sequence[str] = (), where: Sequence[tuple[str, str]] = (), dry_run: bool = False,
        coder: str | None = None,
    ) -> tuple[list[Hit], int]:
        """Find passages by keyword/phrase, regex, fuzzy phrase or speaker and
        code them (one undoable action), or with ``dry_run`` only list them.

        ``scope`` widens each hit to its sentence, paragraph or speaker turn
        (``match`` keeps just the words). A speaker search codes whole turns.
        Returns the hits and how many codings were new.
        """
        chosen = sum(bool(x) for x in (keywords, regex, fuzzy, speaker))
        if chosen != 1:
            raise FieldnotesError("Autocode with exactly one of --keyword, --regex, --fuzzy or --speaker.")
        if scope not in passages.SCOPES:
            raise FieldnotesError(f"Unknown scope '{scope}'; use one of {', '.join(passages.SCOPES)}.")
        code_id = self.project.codebook.code_id(code)
        doc_ids = self._scope_documents(documents, where)
        pattern = passages.keyword_pattern(keywords) if keywords else (passages.compile_regex(regex) if regex else None)
        coder_name = self.coder_name(coder)
        coder_row = self.conn.execute("SELECT id FROM coders WHERE name = ?", [coder_name]).fetchone()
        existing = set(self.conn.execute(
            'SELECT document_id, start, "end" FROM codings WHERE code_id = ? AND ifnull(coder_id, 0) = ?',
            [code_id, coder_row[0] if coder_row else -1]).fetchall())
        hits: list[Hit] = []
        rows = self.conn.execute("SELECT id, name, text FROM documents ORDER BY name").fetchall()
        all_turns = self.project.all_turns()
        for doc_id, name, text in rows:
            if doc_ids is not None and doc_id not in doc_ids:
                continue
            turns = all_turns.get(doc_id, [])
            if speaker:
                wanted = speaker.casefold()
                found = [(t.start, t.end) for t in turns if (t.speaker or "").casefold() == wanted]
            elif fuzzy:
                found = [(a, b) for a, b, _ in passages.fuzzy_hits(text, fuzzy, threshold)]
            else:
                found = [m.span() for m in pattern.finditer(text) if m.end() > m.start()]
            if not found:
                continue
            if scope == "match" or speaker:
                spans = [(span, span) for span in found]
            else:
                spans = sorted((passages.expand(text, a, b, scope, turns), (a, b)) for a, b in found)
            starts = [t.start for t in turns]
            i = 0
            for start, end in passages.merge_ranges([span for span, _ in spans]):
                # The first hit inside this passage is the one shown in context.
                while i < len(spans) and spans[i][0][0] < start:
                    i += 1
                first = spans[i][1] if i < len(spans) else (start, end)
                k = bisect.bisect_right(starts, start) - 1
                who = turns[k].speaker if k >= 0 and turns[k].start <= start < max(turns[k].end, turns[k].start + 1) else None
                hits.append(Hit(name, start, end, first[0], first[1], who, (doc_id, start, end) in existing))
        new = 0
        if not dry_run and hits:
            ids = {n: i for i, n, _ in rows}
            items = [(ids[h.document], code_id, h.start, h.end) for h in hits if not h.already_coded]
            what = f"'{', '.join(keywords)}'" if keywords else (regex or fuzzy or f"speaker {speaker}")
            new = self.apply_codings(items, coder=coder, summary=f"autocode {what} as {code} ({len(items)} passages)") if items else 0
        return hits, new

    def _scope_documents(self, documents: Sequence[str], where: Sequence[tuple[str, str]]) -> set[int] | None:
        ids: set[int] | None = None
        if documents:
            ids = {self.project.document_id(d) for d in documents}
        if where:
            matched = self.project.filter_documents(where)
            ids = matched if ids is None else ids & matched
        return ids

    def expand_passage(self, document: str, start: int, end: int, unit: str) -> tuple[int, int]:
        """Grow a selection to whole words, sentences, paragraphs or turns."""
        doc_id = self.project.document_id(document)
        text = self.project.document_text(doc_id)
        self._check_range(document, len(text), start, max(end, start + 1) if start < len(text) else end)
        return passages.expand(text, start, end, unit, self.project.turns(doc_id))

    # -- retrieval -------------------------------------------------------------------

    def attribution_template(self) -> str:
        return self.project.setting("attribution_template", "{role}, {years_qualified} years qualified") or ""

    def passages(self, code: str, *, include_children: bool = True, where: Sequence[tuple[str, str]] = (),
                 coder: str | None = None, notes: str = "include",
                 scrub: Callable[[str], str] | None = None) -> list[Passage]:
        """Every passage coded with ``code`` (and its sub-codes), with the
        speaker, an attribution and the text; filtered by attribute and coder.

        Each passage is cut at its speakers' turns (``Passage.segments``),
        each part attributed to its speaker's case, and the researcher's
        notes (observation notes, "Note:" paragraphs) attributed as notes
        (see :mod:`fieldnotes.attribution`). ``notes``: ``include`` (default),
        ``exclude`` or ``only`` the researcher's notes. ``scrub`` passes each
        attribution value through a pseudonymiser. ``speaker`` and
        ``attribution`` are the first part's.
        """
        from fieldnotes.attribution import Attributor, keep_notes

        ids = self._code_ids(code, include_children)
        doc_ids = self.project.filter_documents(where) if where else None
        clauses = [f"c.code_id IN ({','.join('?' * len(ids))})"]
        params: list[Any] = list(ids)
        if coder:
            clauses.append("k.name = ?")
            params.append(coder)
        paths = {c.id: c.path for c in self.project.codebook.codes(counts=False)}
        rows = self.conn.execute(
            'SELECT c.id, d.id, d.name, c.code_id, c.start, c."end", k.name '
            "FROM codings c JOIN documents d ON d.id = c.document_id LEFT JOIN coders k ON k.id = c.coder_id "
            f"WHERE {' AND '.join(clauses)} ORDER BY d.name, c.start, c.\"end\"", params).fetchall()
        if doc_ids is not None:
            rows = [r for r in rows if r[1] in doc_ids]
        attributor = Attributor(self.project, scrub)
        keep_notes((), notes)  # a bad choice fails before any work
        result = []
        for r in rows:
            segments = keep_notes(attributor.segments(r[1], r[4], r[5]), notes)
            if not segments:
                continue
            first = segments[0]
            result.append(Passage(r[2], paths[r[3]], r[4], r[5], first.speaker, first.attribution,
                                  attributor.text(r[1])[r[4]:r[5]], r[6], attributor.attributes.get(r[1], {}), r[0],
                                  segments))
        return result
