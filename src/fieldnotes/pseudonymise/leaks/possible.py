"""Possible identifiers: what detection finds in the checked files themselves,
without trusting the project's register.

The known-names matcher only finds what the project already knows. A name
that detection missed, or a name added to a file after export, is invisible
to it. So the checker also runs detection (spaCy NER, the rules and the
first-name gazetteer of :mod:`fieldnotes.pseudonymise.detect`) over every
piece of text it reads, plus one sweep of its own for first names that are
also ordinary words ("Ivy", "Grace", "Rose"), which detection passes over
unless the context is plain.

What is left out, so that the list stays short enough to read:

* pseudonyms: category tags (``[Person 3]``), the project's surrogate names,
  and anything inside square brackets;
* what the researcher has decided: the allowlist, rejected entities, and the
  entities the known-names matcher already reports;
* role words, titles, kin terms and well-known services (Ofsted, MASH);
* ordinary capitalised words: a name-like candidate is dropped when each of
  its words is an English dictionary word (the WordNet index that ships with
  the spaCy pipeline's lemmatiser), an acronym or a function word, unless one
  of them is a first name used as one. Evidence from the files counts too: a
  word that the files also write in lower case is an ordinary word there;
* structured identifiers (phone, email, NHS and NI numbers, postcodes,
  references, addresses, specific dates) are always listed.

Repeats are grouped: one line per distinct text, with how many places and
files, and the first place. Dates are grouped per file, and dates or numbers
in one column of a table per column ("2025-06-24, with 15 others like it").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fieldnotes.pseudonymise.categories import NON_IDENTIFYING, STRUCTURED
from fieldnotes.pseudonymise.detect import detect
from fieldnotes.pseudonymise.leaks.common import Places, Possible, TextUnit, context
from fieldnotes.pseudonymise.names import (
    _FUNCTION_WORDS,
    _MONTHS_DAYS,
    is_first_name,
    is_kinship,
    is_role_word,
    is_title,
    name_context,
    strip_possessive,
)

#: A GUID (documents, codes and codings carry them for REFI-QDA): an
#: identifier of a row, never of a person; no part of one is a finding.
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# A pseudonym tag or any bracketed insertion ("[Person 3]", "[inaudible]").
_BRACKETED = re.compile(r"\[[^\[\]\n]{0,80}\]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LOWER_WORD = re.compile(r"(?<![\w'’])[a-z][a-z'’]*[a-z](?![\w])")
_CAPITALISED = re.compile(r"(?<![\w'’\-])([A-Z][a-z]+)(['’]s)?(?![\w\-]|['’][a-z])")
# Where a sentence (or a line, a cell) starts: a capital there says nothing.
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*|[\"'“‘(]\s*)$")
_ACRONYMISH = re.compile(r"^[A-Z][A-Za-z]*[A-Z][A-Za-z]*$")  # CLA, DfE, NHS
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_NAME_CATEGORIES = frozenset({"PERSON", "PLACE", "ORG"})
_CHUNK = 100_000  # characters per piece handed to spaCy
_REASONS = {
    "PERSON": "detected as a person's name",
    "PLACE": "detected as a place",
    "ORG": "detected as an organisation",
}


# --- the dictionary ----------------------------------------------------------------


class Dictionary:
    """English words, from the WordNet lemma index that the spaCy English
    pipelines ship for their rule-based lemmatiser (about 90,000 lemmas and
    irregular forms). Inflected forms are checked through the same suffix
    rules the lemmatiser uses ("looked" -> "look", "services" -> "service").
    Without those tables it knows no words, and only the files' own evidence
    (lower-case uses) marks a word as ordinary."""

    def __init__(self, words: frozenset[str] = frozenset(), rules: tuple[tuple[str, str], ...] = ()) -> None:
        self.words = words
        self.rules = rules

    @classmethod
    def for_pipeline(cls, nlp) -> Dictionary:
        """The dictionary of ``nlp``'s lemmatiser tables (loaded from its
        folder even when the lemmatiser itself was left out)."""
        path = getattr(nlp, "path", None) if nlp is not None else None
        return _load_dictionary(str(path)) if path else cls()

    def __contains__(self, word: str) -> bool:
        folded = word.casefold().replace("’", "'")
        # WordNet spells the American way: "anonymised" is "anonymized".
        return any(self._known(form) for form in dict.fromkeys((folded, _american(folded))))

    def _known(self, folded: str) -> bool:
        if folded in self.words:
            return True
        return any(
            folded.endswith(old) and len(folded) > len(old) + 1 and folded[: len(folded) - len(old)] + new in self.words
            for old, new in self.rules
        )


_BRITISH = ((re.compile(r"is(e|ed|es|ing|ation|ations)$"), r"iz\1"), (re.compile(r"our(s|ed|ing)?$"), r"or\1"),
            (re.compile(r"yse(s|d)?$"), r"yze\1"), (re.compile(r"tre(s)?$"), r"ter\1"))


def _american(word: str) -> str:
    for pattern, replacement in _BRITISH:
        word = pattern.sub(replacement, word)
    return word


@lru_cache(maxsize=4)
def _load_dictionary(path: str) -> Dictionary:
    folder = Path(path) / "lemmatizer" / "lookups"
    if not (folder / "lookups.bin").exists():
        return Dictionary()
    try:
        from spacy.lookups import Lookups

        lookups = Lookups().from_disk(folder)
        words: set[str] = set()
        for table_name in ("lemma_index", "lemma_exc"):
            if lookups.has_table(table_name):
                table = lookups.get_table(table_name)
                for pos in table.keys():
                    words.update(w.casefold() for w in table[pos])
        rules: set[tuple[str, str]] = set()
        if lookups.has_table("lemma_rules"):
            table = lookups.get_table("lemma_rules")
            for pos in table.keys():
                rules.update((old, new) for old, new in table[pos] if old)
    except Exception:  # noqa: BLE001 - a damaged or foreign table: work without it
        return Dictionary()
    # "'s" is not a word ending the lemmatiser knows; names take it all the time.
    return Dictionary(frozenset(words), tuple(sorted(rules, key=lambda r: -len(r[0]))))


# --- the finder ------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    text: str
    category: str
    reason: str
    first: tuple[str, int, int, str]  # where, line, column, context
    order: tuple[int, int]  # (unit index, offset): file order of the first place
    count: int = 0
    places: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)


class PossibleFinder:
    """Collects pieces of text as the readers hand them over, then runs
    detection over them all at once (:meth:`finish`)."""

    def __init__(
        self,
        nlp=None,
        *,
        pseudonyms: Iterable[str] = (),
        exclude: Iterable[str] = (),
        reference_patterns: Sequence[str] = (),
        dictionary: Dictionary | None = None,
    ) -> None:
        self.nlp = nlp
        self.reference_patterns = tuple(reference_patterns)
        self.dictionary = dictionary if dictionary is not None else Dictionary.for_pipeline(nlp)
        self.units: list[TextUnit] = []
        # Surrogate names are pseudonyms: none of their words is a finding.
        self.pseudonym_words: set[str] = set()
        self.pseudonyms: set[str] = set()
        for value in pseudonyms:
            value = " ".join(str(value).split())
            if value:
                self.pseudonyms.add(value.casefold())
                self.pseudonym_words.update(w.casefold() for w in _WORD.findall(value))
        self.excluded = {" ".join(strip_possessive(e).split()).casefold() for e in exclude if e and e.strip()}
        self.excluded |= NON_IDENTIFYING
        # Several-word excluded names and pseudonyms, to find where they stand
        # in a text: a part of one ("Kayden" of a rejected "Kayden Price",
        # found alone by a name rule) is no finding either.
        phrases = sorted({p for p in self.excluded | self.pseudonyms if " " in p}, key=len, reverse=True)
        self._covering = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
                                     + r")(?!\w)", re.IGNORECASE) if phrases else None)
        # Words each file writes in lower case: evidence, for that file, that
        # a capitalised one is an ordinary word. Kept per file, so that "ivy"
        # on a garden wall in one file does not hide a child called Ivy in
        # another.
        self.lower_words: dict[str, set[str]] = {}

    def add(self, unit: TextUnit) -> None:
        """One piece of text read from a file."""
        if unit.prose and unit.text.strip():
            self.units.append(unit)
            words = self.lower_words.setdefault(_file_of(unit.where), set())
            words.update(m.group().replace("’", "'") for m in _LOWER_WORD.finditer(unit.text))

    # -- running detection ---------------------------------------------------------

    def finish(self) -> list[Possible]:
        """Detect over everything added; one :class:`Possible` per distinct
        candidate, in the order first seen."""
        pieces: dict[str, list[int]] = {}  # distinct text -> units holding it
        for index, unit in enumerate(self.units):
            pieces.setdefault(unit.text, []).append(index)
        texts, owners = [], []  # chunks of text, and (text, offset of the chunk)
        for text in pieces:
            for start, chunk in _chunks(text):
                texts.append(chunk)
                owners.append((text, start))
        found = detect(texts, nlp=self.nlp, reference_patterns=self.reference_patterns) if texts else []
        per_text: dict[str, list[tuple[int, int, str, str]]] = {}
        for (text, offset), candidates in zip(owners, found):
            spans = per_text.setdefault(text, [])
            for c in candidates:
                spans.append((offset + c.start, offset + c.end, c.category, c.detector))
        groups: dict[tuple[str, str], _Group] = {}
        for text, indexes in pieces.items():
            lower: set[str] = set()
            for index in indexes:
                lower |= self.lower_words.get(_file_of(self.units[index].where), set())
            spans = _split_lines(text, per_text.get(text, []))
            spans += self._first_name_sweep(text, spans, lower)
            kept = [span for span in spans if self._keep(text, *span, lower)]
            if not kept:
                continue
            for index in indexes:
                unit = self.units[index]
                place = Places(unit)
                for start, end, category, reason in kept:
                    surface = text[start:end]
                    key = (_group_key(surface), "name" if category in _NAME_CATEGORIES else category)
                    if category in STRUCTURED and "#" in unit.where:
                        # Dates or numbers in one column of a table: one line
                        # for the column ("study.fnp:attributes.value").
                        key = (unit.where.split("#", 1)[0], category)
                    elif category == "DATE":
                        # Dates are many and each says little on its own: one
                        # line per file, to open and read them there.
                        key = (unit.where, category)
                    group = groups.get(key)
                    if group is None:
                        line, column = place(start)
                        group = groups[key] = _Group(
                            surface, category, reason, (unit.where, line, column, context(text, start, end)),
                            (index, start),
                        )
                    group.count += 1
                    group.texts.add(_group_key(surface))
                    group.places.add(_file_of(unit.where))
        ordered = sorted(groups.values(), key=lambda g: g.order)
        return [
            Possible(g.text, g.category, *g.first[:3], g.first[3], g.count, len(g.places), g.reason, len(g.texts) - 1)
            for g in ordered
        ]

    def _first_name_sweep(self, text: str, spans: list[tuple[int, int, str, str]],
                          lower: set[str]) -> list[tuple[int, int, str, str]]:
        """First names that are also dictionary words ("Ivy", "Grace"), used
        as names: never written in lower case in the files, and at least once
        in the middle of a sentence where the words around read as a name.
        Detection leaves these out unless the context is plain."""
        from fieldnotes.pseudonymise.categories import is_kept

        taken = [(s, e) for s, e, _, _ in spans]
        # A name detection already found here as a person is a name at its
        # other places too, a sentence's first word included ("Ivy's mother").
        detected = {text[s:e].casefold() for s, e, category, _ in spans if category == "PERSON"}
        hits: dict[str, list[tuple[int, int]]] = {}
        named: set[str] = set()
        for m in _CAPITALISED.finditer(text):
            word = m.group(1)
            folded = word.casefold()
            if (
                folded in _MONTHS_DAYS
                or folded in lower
                or folded in _FUNCTION_WORDS
                or word not in self.dictionary
                or not is_first_name(word)
                or is_role_word(word) or is_title(word) or is_kinship(word)
                or is_kept(word)          # a county ("Devon"), a programme: the shipped keep list
            ):
                continue
            s, e = m.start(1), m.end(1)
            if any(a < e and s < b for a, b in taken):
                continue
            hits.setdefault(folded, []).append((s, e))
            if folded in detected or (not _SENTENCE_START.search(text[max(0, s - 4):s]) and name_context(text, s, e)):
                named.add(folded)
        return [(s, e, "PERSON", "a first name used as one") for folded in named for s, e in hits[folded]]

    def _keep(self, text: str, start: int, end: int, category: str, detector: str, lower: set[str]) -> bool:
        surface = text[start:end]
        if not surface.strip() or "[" in surface or "]" in surface:
            return False
        for m in _BRACKETED.finditer(text, max(0, start - 80), min(len(text), end + 80)):
            if m.start() < end and start < m.end():
                return False  # part of a tag: a pseudonym
        for m in _GUID.finditer(text, max(0, start - 40), min(len(text), end + 40)):
            if m.start() < end and start < m.end():
                return False
        folded = " ".join(strip_possessive(surface).split()).casefold()
        if folded in self.pseudonyms or folded in self.excluded:
            return False
        if self._covering is not None:
            for m in self._covering.finditer(text, max(0, start - 120), min(len(text), end + 120)):
                if m.start() <= start and end <= m.end():
                    return False
        words = _WORD.findall(surface)
        if category in STRUCTURED:
            # A program's timestamp (2026-11-29T19:38:20) dates a file, not a person.
            return not (category == "DATE" and _TIMESTAMP.match(text, start))
        if not words:
            return False
        if all(w.casefold() in self.pseudonym_words or w.casefold() in _FUNCTION_WORDS for w in words):
            return False
        if all(is_role_word(w) or is_title(w) or is_kinship(w) or w.casefold() in _FUNCTION_WORDS for w in words):
            return False
        return any(self._name_word(strip_possessive(w), lower) for w in words)

    def _name_word(self, word: str, lower: set[str]) -> bool:
        """Could this word be (part of) a name? Not a function word, an
        acronym, a role, or an ordinary word; a first name counts unless the
        files also use it as an ordinary (lower-case) word."""
        folded = word.casefold()
        if len(word) < 2 or not word[:1].isupper() or folded in _FUNCTION_WORDS or folded in _MONTHS_DAYS:
            return False
        if word.isupper() or _ACRONYMISH.match(word):
            return False  # CLA, DfE, MASH: acronyms, far more often services than people
        if is_role_word(word) or is_title(word) or is_kinship(word) or folded in self.pseudonym_words:
            return False
        if folded.replace("’", "'") in lower:
            return False  # the files use it as an ordinary word
        if is_first_name(word):
            return True
        return word not in self.dictionary


def _split_lines(text: str, spans: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """A name does not run over a line break: a model span that does
    ("Kerry Lowe\nPage", a heading and the next line) is cut into its lines,
    each judged on its own."""
    out = []
    for start, end, category, reason in spans:
        if category not in _NAME_CATEGORIES or "\n" not in text[start:end]:
            out.append((start, end, category, reason))
            continue
        for m in re.finditer(r"[^\n]+", text[start:end]):
            piece = m.group()
            s = start + m.start() + (len(piece) - len(piece.lstrip()))
            e = start + m.end() - (len(piece) - len(piece.rstrip()))
            if e > s:
                out.append((s, e, category, reason))
    return out


def _file_of(where: str) -> str:
    """The file a locator names: "book.xlsx" for "book.xlsx:Sheet1"."""
    return where.split(":", 1)[0]


def _group_key(surface: str) -> str:
    return " ".join(strip_possessive(surface).split()).casefold()


def _chunks(text: str) -> Iterable[tuple[int, str]]:
    """``text`` in pieces of at most about :data:`_CHUNK` characters, cut at
    line breaks, with their offsets (spaCy refuses very long texts)."""
    if len(text) <= _CHUNK:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = min(len(text), start + _CHUNK)
        if end < len(text):
            cut = text.rfind("\n", start + _CHUNK // 2, end)
            end = cut + 1 if cut > 0 else end
        yield start, text[start:end]
        start = end
