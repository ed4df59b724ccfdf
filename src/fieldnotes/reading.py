"""Reading a document as the original or as pseudonymised, and working in it.

Part of the project API (mixed into :class:`fieldnotes.project.Project`).
A :class:`ReadingText` is a document's text as one coder reads it, with its
speaker turns, and the offset map that ties every place in it to the stored
(original) text. Coding, uncoding, memos, retrieval and search work in either
text: the UIs select in the text they show and hand the range to
:meth:`ReadingText.to_original`; codings stay stored against the original.

The project setting ``view`` (``fieldnotes config PROJECT view pseudonymised``,
or ``view:CODER`` for one coder) makes a coder see only pseudonymised text: the
workspace opens in and stays in the pseudonymised view, and every CLI command
that prints document text prints it pseudonymised.

All pseudonymisation goes through :meth:`ReadingMixin._pseudonymised_reading`
(one function), which reads through the project's pseudonymised view
(:mod:`fieldnotes.pseudonymise.view`), the one every export takes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fieldnotes.errors import FieldnotesError
from fieldnotes.service import Service
from fieldnotes.store.queries.pseudonyms import view_inputs

VIEWS = ("original", "pseudonymised")


@dataclass(frozen=True)
class ReadingText:
    """A document as shown to a coder: ``text`` and ``turns`` in view offsets.

    ``mapping`` is None for the original text (offsets are the stored ones);
    otherwise an :class:`~fieldnotes.pseudonymise.offsets.OffsetMap`.
    """

    document: str
    text: str
    turns: tuple
    mapping: Any = None
    scrub: Callable[[str], str] | None = None

    @property
    def pseudonymised(self) -> bool:
        return self.mapping is not None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """A range selected in this text -> the stored range it stands for.
        A pseudonym touched by the range counts whole, so coding "[Person 1]
        said" in the view codes "Jodi Mensah said" in the original."""
        if self.mapping is None:
            return start, end
        return self.mapping.range_to_original(start, end)

    def to_view(self, start: int, end: int) -> tuple[int, int]:
        """A stored range (a coding, a search hit) -> its range in this text."""
        if self.mapping is None:
            return start, end
        return self.mapping.range_to_view(start, end)

    def offset_to_view(self, offset: int) -> int:
        if self.mapping is None:
            return offset
        return self.mapping.to_view(max(0, min(offset, self.mapping.original_length)))

    def offset_to_original(self, offset: int) -> int:
        if self.mapping is None:
            return offset
        return self.mapping.to_original(max(0, min(offset, self.mapping.view_length)))

    def touches_replacement(self, start: int, end: int) -> bool:
        """Whether the stored range ``[start, end)`` overlaps a replaced mention."""
        if self.mapping is None:
            return False
        return any(r.start < end and start < r.end for r in self.mapping.replacements)

    def scrubbed(self, value: str | None) -> str | None:
        """Other text shown beside the document (a memo, a speaker label, an
        attribution) through the same replacements; unchanged in the original."""
        if self.scrub is None or not value:
            return value
        return self.scrub(value)


class ReadingService(Service):
    """Which text a coder sees, and the document in that text."""

    # -- the setting -------------------------------------------------------------

    def text_view(self, coder: str | None = None) -> str:
        """``"pseudonymised"`` or ``"original"``: what ``coder`` (default: the
        current coder) may read. A coder's own setting wins over the project's."""
        name = self.project.coders.coder_name(coder)
        own = self.project.setting(f"view:{name}", None)
        if own is None:
            # A coder is the same coder whatever the case ("Sam Lee" is "sam lee"),
            # as everywhere else: a restriction set for one spelling binds them all.
            folded = name.strip().casefold()
            own = next((v for k, v in self.project.settings().items()
                        if k.startswith("view:") and k[5:].strip().casefold() == folded), None)
        value = own or self.project.setting("view", None) or "original"
        return value if value in VIEWS else "pseudonymised"

    def coder_views(self) -> dict[str, str]:
        """Each coder with a view setting of their own, and that setting as stored."""
        return {k.split(":", 1)[1]: v for k, v in self.project.settings().items() if k.startswith("view:")}

    def set_text_view(self, view: str, coder: str | None = None) -> None:
        """Set the text shown to every coder, or to one coder."""
        view = view.strip().casefold()
        matches = [v for v in VIEWS if v.startswith(view)] if view else []
        if len(matches) != 1:
            raise FieldnotesError(f"A view is 'original' or 'pseudonymised', not {view!r}.")
        self.project.set_setting(f"view:{coder}" if coder else "view", matches[0])

    def shows_pseudonymised(self, coder: str | None = None) -> bool:
        """True when this coder must see only pseudonymised text."""
        return self.text_view(coder) == "pseudonymised"

    def hides_words(self, text: str) -> bool:
        """Whether ``text`` holds words this coder may not read (it reads
        differently pseudonymised): editing it in the words they see would
        write pseudonyms over the recorded ones, so the UIs refuse that."""
        return bool(text) and self.shows_pseudonymised() and self.memo_as_read(text, pseudonymised=True) != text

    def require_originals(self, what: str) -> None:
        """Refuse ``what`` (the pseudonym review, the key log) to a coder
        who may read only pseudonymised text: it shows the real names."""
        if self.shows_pseudonymised():
            raise FieldnotesError(
                f"{what} shows real names, and this project shows you only pseudonymised text "
                f"(see 'fieldnotes config {self.project.path} view'). Ask whoever holds the pseudonym key.")

    # -- documents in a view -----------------------------------------------------------

    def reading_text(self, document: str, *, pseudonymised: bool | None = None) -> ReadingText:
        """``document`` as the coder reads it; ``pseudonymised`` None follows
        the coder's setting. Under the pseudonymised setting the original is
        refused, whatever is asked."""
        if pseudonymised is None or (not pseudonymised and self.shows_pseudonymised()):
            if pseudonymised is False:
                raise FieldnotesError(
                    "This project shows you only pseudonymised text (setting 'view'); "
                    "a project owner can change it with: fieldnotes config PROJECT view original")
            pseudonymised = self.shows_pseudonymised()
        if pseudonymised:
            return self._pseudonymised_reading(document)
        doc = self.project.document(document)
        return ReadingText(doc.name, doc.text, tuple(doc.turns))

    def _pseudonymised_reading(self, document: str, view: Any = None) -> ReadingText:
        # The one place that builds a pseudonymised reading: through the
        # project's pseudonymised view (:mod:`fieldnotes.pseudonymise.view`),
        # which every output takes, so the coder reads what an export writes.
        view = view if view is not None else self.reading_view()
        doc = self.project.document(document)
        text, mapping = view.document(doc.id)
        return ReadingText(doc.name, text, tuple(view.turns(doc.id)), mapping, view.scrub)

    def reading_view(self) -> Any:
        """The pseudonymised view, kept while what it depends on is unchanged
        (documents, entities and decisions, mentions, the allowlist): building
        it brings detection up to date and scrubs the project's free text, too
        slow to repeat for each document opened or each coding applied."""
        key = view_inputs(self.conn)
        cached = getattr(self, "_reading_view_cache", None)
        if cached is None or cached[0] != key:
            cached = (key, self.project.pseudonyms.pseudonymised_view())
            self._reading_view_cache = cached
        return cached[1]

    def readings(self, documents: Sequence[str], *, pseudonymised: bool) -> dict[str, ReadingText]:
        """Several documents at once, through one pseudonymised view."""
        if not pseudonymised:
            return {d: self.reading_text(d, pseudonymised=False) for d in dict.fromkeys(documents)}
        view = self.reading_view()
        return {d: self._pseudonymised_reading(d, view) for d in dict.fromkeys(documents)}

    def document_as_read(self, document: str, *, pseudonymised: bool | None = None):
        """A :class:`~fieldnotes.model.Document` whose text, turns, cases and
        attributes are as the coder may read them (``show``)."""
        reading = self.reading_text(document, pseudonymised=pseudonymised)
        doc = self.project.document(document)
        if not reading.pseudonymised:
            return doc
        return dataclasses.replace(
            doc, name=self.reading_view().document_name(doc.id), text=reading.text, turns=reading.turns,
            source_path=None,
            cases=tuple(reading.scrubbed(c) for c in doc.cases),
            attributes={k: reading.scrubbed(v) if isinstance(v, str) else v for k, v in doc.attributes.items()})

    def names_as_read(self, *, pseudonymised: bool | None = None) -> Callable[[str, str], str]:
        """A function ``(kind, value) -> value as the coder may read it`` for
        the names commands print beside text: ``"code"`` (a name or a path,
        each part scrubbed), ``"document"`` (the name every export uses) and
        ``"text"`` (any other free text). The identity in the original."""
        if pseudonymised is None:
            pseudonymised = self.shows_pseudonymised()
        if not pseudonymised:
            return lambda kind, value: value
        view = self.reading_view()

        def shown(kind: str, value: str) -> str:
            if not value:
                return value
            if kind == "code":
                return "/".join(view.scrub(part) for part in value.split("/"))
            if kind == "document":
                try:
                    return view.document_name(value)
                except Exception:  # noqa: BLE001 - not a document name: scrub it as text
                    return view.scrub(value)
            return view.scrub(value)

        return shown

    def passages_as_read(self, passages: Sequence, *, pseudonymised: bool | None = None) -> list:
        """Retrieved passages (:meth:`passages`) with text, speaker and
        attribution as the coder may read them. Offsets stay the stored ones."""
        if pseudonymised is None:
            pseudonymised = self.shows_pseudonymised()
        if not pseudonymised or not passages:
            return list(passages)
        views = self.readings([p.document for p in passages], pseudonymised=True)
        out = []
        for p in passages:
            view = views[p.document]
            a, b = view.to_view(p.start, p.end)
            segments = []
            for segment in getattr(p, "segments", ()) or ():
                sa, sb = view.to_view(segment.start, segment.end)
                segments.append(dataclasses.replace(
                    segment, text=view.text[sa:sb], speaker=view.scrubbed(segment.speaker),
                    attribution=view.scrubbed(segment.attribution) or "",
                    cases=tuple(view.scrubbed(c) for c in segment.cases)))
            extra = {"segments": tuple(segments)} if hasattr(p, "segments") else {}
            out.append(dataclasses.replace(p, text=view.text[a:b], speaker=view.scrubbed(p.speaker),
                                           attribution=view.scrubbed(p.attribution) or "",
                                           attributes={k: view.scrubbed(v) if isinstance(v, str) else v
                                                       for k, v in p.attributes.items()}, **extra))
        return out

    def hits_as_read(self, hits: Sequence, *, pseudonymised: bool | None = None, context: int = 70) -> list:
        """Search hits with snippets from the text the coder may read.

        A hit on words that pseudonymisation replaces is dropped: searching
        for a real name must not reveal where it occurs."""
        if pseudonymised is None:
            pseudonymised = self.shows_pseudonymised()
        if not pseudonymised or not hits:
            return list(hits)
        from fieldnotes.search import snippet

        views = self.readings([h.document for h in hits], pseudonymised=True)
        out = []
        for h in hits:
            view = views[h.document]
            a, b = view.to_view(h.start, h.end)
            if view.touches_replacement(h.start, h.end):
                continue
            shown, hit = snippet(view.text, a, b, context)
            out.append(dataclasses.replace(h, speaker=view.scrubbed(h.speaker), snippet=shown, snippet_hit=hit,
                                           attributes={k: view.scrubbed(v) if isinstance(v, str) else v
                                                       for k, v in h.attributes.items()}))
        return out

    def search_as_read(self, query: str, *, where: Sequence[tuple[str, str]] = (), limit: int | None = 50,
                       pseudonymised: bool | None = None) -> list:
        """:meth:`search` as the coder may read it. In the pseudonymised text a
        pseudonym as shown ("[Person 2]") is searched for literally, so a coder
        who never sees the name can still find every place it stands."""
        if pseudonymised is None:
            pseudonymised = self.shows_pseudonymised()
        if not pseudonymised:
            return self.project.search(query, where=where, limit=limit)
        tags = re.findall(r"\[[^\[\]]+\]", query)
        if not tags:
            return self.hits_as_read(self.project.search(query, where=where, limit=None), pseudonymised=True)[:limit]
        from fieldnotes.model import SearchHit
        from fieldnotes.search import snippet

        ids = self.project.filter_documents(where) if where else None
        names = [d.name for d in self.project.documents() if ids is None or d.id in ids]
        pattern = re.compile("|".join(re.escape(t) for t in tags), re.IGNORECASE)
        attributes = {d.name: d.attributes for d in self.documents_as_read(self.project.documents(), pseudonymised=True)}
        hits = []
        for name, view in self.readings(names, pseudonymised=True).items():
            for m in pattern.finditer(view.text):
                start, end = view.to_original(m.start(), m.end())
                turn = next((t for t in view.turns if t.start <= m.start() < t.end), None)
                shown, hit = snippet(view.text, m.start(), m.end(), 70)
                hits.append(SearchHit(name, start, end, turn.speaker if turn else None, shown, hit,
                                      attributes.get(name, {})))
                if limit is not None and len(hits) >= limit:
                    return hits
        return hits

    def documents_as_read(self, documents: Sequence, *, pseudonymised: bool | None = None) -> list:
        """Document summaries (:meth:`documents`) with cases and attribute
        values as the coder may read them (a case may be a family's name)."""
        if pseudonymised is None:
            pseudonymised = self.shows_pseudonymised()
        if not pseudonymised or not documents:
            return list(documents)
        scrub = self.project.pseudonyms.string_pseudonymiser()
        return [dataclasses.replace(d, cases=tuple(scrub(c) for c in d.cases),
                                    attributes={k: scrub(v) if isinstance(v, str) else v for k, v in d.attributes.items()})
                for d in documents]

    def cases_as_read(self, cases: Sequence, *, pseudonymised: bool | None = None) -> list:
        """Cases (:meth:`Attributes.cases`) as the coder may read them: the
        case's name (a family's name, say), its documents' names, the speaker
        labels linked to it (often a person's name) and its attribute values."""
        if pseudonymised is None:
            pseudonymised = self.shows_pseudonymised()
        if not pseudonymised or not cases:
            return list(cases)
        view = self.reading_view()
        shown = self.names_as_read(pseudonymised=True)
        return [dataclasses.replace(
            c, name=view.scrub(c.name), documents=tuple(shown("document", d) for d in c.documents),
            attributes={k: view.scrub(v) for k, v in c.attributes.items()},
            speakers=tuple((shown("document", d), view.speaker(label)) for d, label in c.speakers))
            for c in cases]

    def variables_as_read(self, variables: Sequence, *, pseudonymised: bool | None = None) -> list:
        """Attributes (:meth:`Attributes.variables`) with their values as the
        coder may read them (a site or a school is a place's name)."""
        if pseudonymised is None:
            pseudonymised = self.shows_pseudonymised()
        if not pseudonymised or not variables:
            return list(variables)
        view = self.reading_view()
        return [dataclasses.replace(v, values=tuple(dict.fromkeys(view.scrub(x) for x in v.values)))
                for v in variables]

    def memo_as_read(self, text: str, *, pseudonymised: bool | None = None) -> str:
        """A memo's text as the coder may read it."""
        if pseudonymised is None:
            pseudonymised = self.shows_pseudonymised()
        return self.project.pseudonyms.string_pseudonymiser()(text) if pseudonymised and text else text
