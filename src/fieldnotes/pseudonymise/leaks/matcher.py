"""The known-names matcher: every surface form of every entity the project
knows, compiled once, looked for exactly, in any case, fuzzily (near
spellings) and in the raw bytes of SQLite files (UTF-8 and UTF-16)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel, Levenshtein

from fieldnotes.pseudonymise.forms import trie_pattern
from fieldnotes.pseudonymise.leaks.common import CONTEXT, KINDS, Leak, Places, TextUnit, context
from fieldnotes.pseudonymise.names import is_ambiguous_name, name_context

_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

_MAX_MEMBER_BYTES = 1 << 30  # a zip member larger than 1 GiB is reported, not read
_MAX_ZIP_DEPTH = 3

# A surface starting (ending) with a letter or digit must not be glued to
# another: "Jodie" matches in "Jodie's" and "(Jodie)" but not in "Jodies". One
# assertion serves all forms. On the left it follows the first character:
# "not two word characters in a row" there means the form starts with a
# non-word character or nothing word-like comes before it.
_LEFT_AFTER_FIRST = r"(?<!\w\w)"
_RIGHT = r"(?:(?!\w)|(?<!\w))"
# What may sit between the characters of a number or code written another
# way: "07700 900418", "07700-900-418", "(07700) 900.418".
_SEPARATORS = r"[ \t\u00a0\-\u2010-\u2013./()]{0,3}"
_LETTERS = re.compile(r"[^\W\d_]+")
# The gap allowed between the words of a name matched fuzzily.
_NEXT_WORD = re.compile(r"[ \t\n\u00a0\-'\u2019.]{1,3}([^\W\d_]+)")
_GAP_CHARS = " \t\n\u00a0-'\u2019."
_DIGIT = re.compile(r"\d")
_FUZZY_FORM = re.compile(r"[^\W\d_]+(?:[\s'\-.]+[^\W\d_]+)*\.?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]+")
_FUZZY_MIN_LETTERS = 5
_RAW_MIN_CHARS = 3



def _norm(surface: str) -> str:
    return " ".join(surface.replace("\u2019", "'").split())


def _chars(surface: str) -> str:
    return "".join(ch for ch in surface if ch.isalnum())


def _emit_text(ch: str) -> str:
    if ch == " ":
        return r"\s+"
    if ch == "'":
        return "['\u2019]"
    return re.escape(ch)


class _Pattern:
    """Many lower-cased forms, searched in lower-cased text.

    Searching ``text.lower()`` with a case-sensitive pattern lets the regex
    engine skip to possible first letters, several times faster than
    ``re.IGNORECASE``; the rare text whose length changes when lower-cased
    ("İ") is searched with ``re.IGNORECASE`` instead.
    """

    def __init__(self, forms: Iterable[str], emit: Callable[[str], str] = re.escape, joiner: str = "") -> None:
        self.source = source = trie_pattern(sorted(forms), emit, joiner, _LEFT_AFTER_FIRST) + _RIGHT
        self.lowered = re.compile(source)
        self._folded: re.Pattern | None = None

    def finditer(self, text: str, lowered: str) -> Iterator[re.Match]:
        if len(lowered) == len(text):
            return self.lowered.finditer(lowered)
        if self._folded is None:
            self._folded = re.compile(self.source, re.IGNORECASE)
        return self._folded.finditer(text)


def _similarity(a: str, b: str) -> float:
    """rapidfuzz's ratio, counting a swap of neighbouring letters as one edit."""
    score = fuzz.ratio(a, b)
    if score < 100 and len(a) == len(b) and OSA.distance(a, b) == 1 and Levenshtein.distance(a, b) == 2:
        score = max(score, 100.0 * (1 - 1 / (len(a) + len(b))))
    return score


@dataclass(slots=True)
class _Target:
    """A name looked for fuzzily: its words, lower-cased."""

    surface: str
    words: tuple[str, ...]
    parts: tuple[int, ...]  # indexes of its words in _Matcher.parts
    anchor: int  # its longest word: the one looked up first
    joined: str
    budget: int  # the most insertions and deletions the whole name may differ by


_Hit = tuple[int, int, str, str]  # (start, end, surface, kind)


class Matcher:
    """Every surface form compiled once into a few patterns."""

    def __init__(self, surfaces: Mapping[str, str], threshold: float, ignore: Iterable[str]) -> None:
        self.threshold = threshold
        allowed = {_norm(word) for word in ignore if word and word.strip()}
        self.allowed_folded = {word.casefold() for word in allowed}
        self.allow_rx = _Pattern({w.lower() for w in allowed}, _emit_text) if allowed else None
        self.labels: dict[str, str] = {}  # normalised surface -> entity label
        self.original: dict[str, str] = {}  # normalised surface -> as given
        for surface, label in surfaces.items():
            form = _norm(str(surface))
            if form and form.casefold() not in self.allowed_folded and form not in self.labels:
                self.labels[form] = label
                self.original[form] = str(surface)
        forms = list(self.labels)
        self._compile_exact(forms)
        self._compile_codes(forms)
        self._compile_fuzzy(forms, threshold)
        self._compile_raw(forms)

    def _compile_exact(self, forms: list[str]) -> None:
        """Exact and case-insensitive, in one pass."""
        self.by_lower: dict[str, list[str]] = {}
        for form in forms:
            self.by_lower.setdefault(form.lower(), []).append(form)
        # Names that are everyday words ("Will", "May") count only as written.
        self.as_written_only = {form for form in forms if " " not in form and is_ambiguous_name(form)}
        self.word_rx = _Pattern(self.by_lower, _emit_text) if forms else None

    def _compile_codes(self, forms: list[str]) -> None:
        """Numbers and codes written with other spacing or punctuation."""
        self.codes: dict[str, str] = {}  # letters and digits, lower-cased -> surface
        for form in forms:
            key = _chars(form).lower()
            if len(key) < 6 or not any(ch.isdigit() for ch in key):
                continue
            self.codes.setdefault(key, form)
            if key.isdigit() and key.startswith("0") and len(key) in (10, 11):
                # a UK number without its trunk 0, or in international form
                for variant in (key[1:], "44" + key[1:], "440" + key[1:]):
                    self.codes.setdefault(variant, form)
        self.code_rx = _Pattern(self.codes, joiner=_SEPARATORS) if self.codes else None

    def _compile_fuzzy(self, forms: list[str], threshold: float) -> None:
        """Near spellings: names of five letters or more, one to three
        words, each with the edits the threshold allows."""
        self.targets: list[_Target] = []
        self.parts: list[str] = []
        part_index: dict[str, int] = {}
        self.anchored: dict[int, list[int]] = {}  # part -> targets whose longest word it is
        if threshold <= 100:
            t = threshold / 100
            for form in forms:
                if form in self.as_written_only or not _FUZZY_FORM.fullmatch(form):
                    continue
                words = tuple(w.lower() for w in _LETTERS.findall(form))
                if not 1 <= len(words) <= 3 or sum(map(len, words)) < _FUZZY_MIN_LETTERS:
                    continue
                joined = " ".join(words)
                # ratio >= t leaves room for at most 2(1-t)L/t insertions and deletions
                budget = int(2 * (1 - t) * len(joined) / t + 1e-9)
                if 100 * (1 - 1 / (2 * len(joined))) >= threshold:
                    budget = max(budget, 2)  # one swap of neighbouring letters
                if budget == 0:
                    continue
                parts = tuple(part_index.setdefault(w, len(part_index)) for w in words)
                anchor = max(range(len(words)), key=lambda i: (len(words[i]), i))
                self.anchored.setdefault(parts[anchor], []).append(len(self.targets))
                self.targets.append(_Target(form, words, parts, anchor, joined, budget))
            self.parts = list(part_index)
        self.max_budget = max((target.budget for target in self.targets), default=0)
        self.anchor_budget = {  # part -> the largest budget of the names it anchors
            part: max(self.targets[i].budget for i in indexes) for part, indexes in self.anchored.items()
        }
        lengths = [len(p) for p in self.parts]
        self.word_lengths = (min(lengths, default=0) - self.max_budget, max(lengths, default=0) + self.max_budget)
        self.near: dict[str, dict[int, int]] = {}  # word -> {part: insertions and deletions}; kept across files

    def _compile_raw(self, forms: list[str]) -> None:
        """The raw bytes of SQLite files, as UTF-8 and as UTF-16 (uses
        the codes of :meth:`_compile_codes`)."""
        self.raw_forms: dict[bytes, str] = {}  # lower-cased (ASCII letters only, as bytes.lower does)
        for form in forms:
            variants = {form}
            key = _chars(form)
            if key.isdigit() and key.lower() in self.codes:
                variants.add(key)
            for variant in variants:
                if len(variant) >= _RAW_MIN_CHARS:
                    self.raw_forms.setdefault(variant.encode("utf-8").lower(), form)
        self.raw_rx = (
            re.compile(trie_pattern(key.decode("utf-8") for key in self.raw_forms).encode("utf-8"))
            if self.raw_forms else None
        )
        # The same forms written as UTF-16 (a Windows program's text, a UTF-16
        # database): each byte order compiled once.
        self.wide_forms: list[tuple[str, re.Pattern[bytes], dict[bytes, str]]] = []
        for encoding in ("utf-16-le", "utf-16-be"):
            keys = {form.lower().encode(encoding): form for form in forms if len(form) >= _RAW_MIN_CHARS}
            if keys:
                rx = re.compile(b"|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)))
                self.wide_forms.append((encoding, rx, keys))

    # -- one piece of text -------------------------------------------------------------

    def scan(self, unit: TextUnit) -> list[Leak]:
        text = unit.text
        if self.word_rx is None or not text.strip():
            return []
        lowered = text.lower()
        hits: list[_Hit] = []
        for m in self.word_rx.finditer(text, lowered):
            found = _norm(text[m.start():m.end()])
            if found in self.labels:
                # A name that is also an ordinary word counts only where the
                # words around it read as a name ("Mark my words" is not Mark).
                if found in self.as_written_only and not name_context(text, m.start(), m.end()):
                    continue
                hits.append((m.start(), m.end(), found, "exact"))
                continue
            forms = [f for f in self.by_lower.get(found.lower(), ()) if f not in self.as_written_only]
            if forms:
                hits.append((m.start(), m.end(), forms[0], "case-insensitive"))
        if self.code_rx is not None and _DIGIT.search(text):
            for m in self.code_rx.finditer(text, lowered):
                found = text[m.start():m.end()]
                form = self.codes.get(_chars(found).lower())
                if form is not None:
                    # The same digits (or letters in the same case), however spaced.
                    chars = _chars(found)
                    kind = "exact" if chars.isdigit() or chars == _chars(form) else "case-insensitive"
                    hits.append((m.start(), m.end(), form, kind))
        if self.targets:
            hits.extend(self._fuzzy(text, lowered))
        if not hits:
            return []
        hits = self._strongest(hits)
        if self.allow_rx is not None:
            allowed = [(m.start(), m.end()) for m in self.allow_rx.finditer(text, lowered)]
            if allowed:
                hits = [h for h in hits if not any(a <= h[0] and h[1] <= b for a, b in allowed)]
        place = Places(unit)
        return [
            Leak(unit.where, *place(start), text[start:end], self.original[surface], self.labels[surface], kind,
                 context(text, start, end))
            for start, end, surface, kind in hits
        ]

    @staticmethod
    def _strongest(hits: list[_Hit]) -> list[_Hit]:
        """Each place once: the strongest kind, then the longest, in text order."""
        hits.sort(key=lambda h: (_RANK[h[3]], h[0] - h[1], h[0]))
        starts: list[int] = []
        kept: list[_Hit] = []
        for hit in hits:
            i = bisect.bisect_right(starts, hit[0])
            if (i and kept[i - 1][1] > hit[0]) or (i < len(kept) and kept[i][0] < hit[1]):
                continue
            starts.insert(i, hit[0])
            kept.insert(i, hit)
        return kept

    def _near(self, word: str) -> dict[int, int]:
        """The words of fuzzy targets within budget of ``word`` (cached)."""
        near = self.near.get(word)
        if near is None:
            low, high = self.word_lengths
            near = {}
            if low <= len(word) <= high:
                for _, distance, index in process.extract(
                    word, self.parts, scorer=Indel.distance, score_cutoff=self.max_budget, limit=None
                ):
                    near[index] = int(distance)
            self.near[word] = near
        return near

    def _fuzzy(self, text: str, lowered: str) -> list[_Hit]:
        # Each distinct word of the text is compared once (the cache spans
        # files); then only the places of words near a name's longest word
        # are visited, and the name's other words are read around them.
        budgets = self.anchor_budget
        anchors = [
            word for word in set(_LETTERS.findall(lowered))
            if any(distance <= budgets.get(part, -1) for part, distance in self._near(word).items())
        ]
        if not anchors:
            return []
        pattern = re.compile(
            r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, sorted(anchors, key=len, reverse=True))) + r")(?![^\W\d_])"
        )
        if len(lowered) != len(text):
            pattern = re.compile(pattern.pattern, re.IGNORECASE)
            lowered = text
        hits: list[_Hit] = []
        for m in pattern.finditer(lowered):
            word = m.group().lower()
            for part, distance in self._near(word).items():
                for t_index in self.anchored.get(part, ()):
                    target = self.targets[t_index]
                    if distance == 0 and len(target.words) == 1:
                        continue  # the name itself: the exact pass reports it
                    hit = self._around(text, m, word, distance, target)
                    if hit is not None:
                        hits.append(hit)
        return hits

    def _around(self, text: str, m: re.Match, word: str, distance: int, target: _Target) -> _Hit | None:
        """The name ``target`` read around its longest word ``m``, if close enough."""
        if distance > target.budget:
            return None
        words = [word]
        start, end = m.start(), m.end()
        for want in reversed(target.parts[: target.anchor]):
            before = _previous_word(text, start)
            if before is None:
                return None
            previous = text[before:start].rstrip(_GAP_CHARS).lower()
            distance += self._near(previous).get(want, target.budget + 1)
            if distance > target.budget:
                return None
            words.insert(0, previous)
            start = before
        for want in target.parts[target.anchor + 1:]:
            after = _NEXT_WORD.match(text, end)
            if after is None:
                return None
            following = after.group(1).lower()
            distance += self._near(following).get(want, target.budget + 1)
            if distance > target.budget:
                return None
            words.append(following)
            end = after.end()
        found = " ".join(words)
        if found.casefold() in self.allowed_folded or _similarity(found, target.joined) < self.threshold:
            return None
        return start, end, target.surface, "fuzzy"

    # -- raw bytes of a SQLite file ----------------------------------------------------

    @staticmethod
    def _raw_context(data: bytes, offset: int, length: int, encoding: str) -> str:
        reach = CONTEXT * (1 if encoding == "utf-8" else 2)
        start = max(0, offset - reach)
        if encoding != "utf-8":
            start += (offset - start) % 2  # keep the byte order's alignment
        around = data[start: offset + length + reach].decode(encoding, "replace")
        return " ".join(_CONTROL.sub(" ", around).split())

    def scan_raw(self, data: bytes, where: str, live: Callable[[], bytes]) -> list[Leak]:
        """Surface forms in the bytes of a file that no live row explains
        (deleted rows, stale index pages): the first place of each."""
        if self.raw_rx is None or not data:
            return []
        lowered = data.lower()  # ASCII letters only, so offsets stay those of ``data``
        first: dict[tuple[bytes, str], int] = {}
        for m in self.raw_rx.finditer(lowered):
            first.setdefault((m.group(), "utf-8"), m.start())
        for encoding, rx, _ in self.wide_forms:
            for m in rx.finditer(lowered):
                first.setdefault((m.group(), encoding), m.start())
        if not first:
            return []
        known = live()
        wide = {encoding: keys for encoding, _, keys in self.wide_forms}
        # UTF-16 in one byte order also reads, one byte on, as the other: of
        # two hits that overlap, keep the one whose surroundings read as text.
        kept: list[tuple[int, bytes, str, str]] = []  # (offset, key, encoding, context)
        for (key, encoding), offset in sorted(first.items(), key=lambda item: item[1]):
            around = self._raw_context(data, offset, len(key), encoding)
            if kept and offset < kept[-1][0] + len(kept[-1][1]):
                if _readable(around) > _readable(kept[-1][3]):
                    kept[-1] = (offset, key, encoding, around)
                continue
            kept.append((offset, key, encoding, around))
        leaks = []
        for offset, key, encoding, around in kept:
            form = self.raw_forms[key] if encoding == "utf-8" else wide[encoding][key]
            if (key if encoding == "utf-8" else key.decode(encoding, "replace").encode("utf-8")) in known:
                continue
            found = data[offset: offset + len(key)].decode(encoding, "replace")
            leaks.append(
                Leak(where, 0, offset + 1, found, self.original[form], self.labels[form], "raw-bytes", around)
            )
        return leaks


def _readable(text: str) -> int:
    return sum(ch.isascii() and ch.isprintable() for ch in text)


def _previous_word(text: str, end: int) -> int | None:
    """Where the word before the gap that ends at ``end`` starts (the gap
    being what :data:`_NEXT_WORD` allows), or None."""
    gap = end
    while gap > 0 and end - gap < 3 and text[gap - 1] in _GAP_CHARS:
        gap -= 1
    if gap == end:
        return None
    start = gap
    while start > 0 and gap - start < 64 and text[start - 1].isalpha():
        start -= 1
    return start if start < gap else None
