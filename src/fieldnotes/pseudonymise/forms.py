"""Finding many surface forms at once: the trie-built regex every part of
pseudonymisation uses (:func:`trie_pattern`) and the whole-word matcher of
entity forms that detection and clustering share (:class:`FormMatcher`).

A module of its own so that detection (:mod:`.detect`, register names) and
clustering (:mod:`.cluster`, propagation) both import it and neither imports
the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from fieldnotes.pseudonymise.names import _FUNCTION_WORDS, is_ambiguous_name, is_first_name, name_context


def trie_pattern(words: Iterable[str], emit: Callable[[str], str] = re.escape, joiner: str = "", after_first: str = "") -> str:
    """One regex for many words, built as a trie so that hundreds of forms
    cost one pass; longer forms are tried first ("Jodie Mensah" before
    "Jodie"); no words: a regex that matches nothing. The one builder of
    such patterns (clustering, detection's keep phrases, the leak checker).
    ``joiner`` goes between characters (separators in numbers);
    ``after_first`` follows the first character (the left word boundary, put
    there so that the regex engine can skip ahead to possible first
    characters)."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def alternatives(node: dict, top: bool) -> str:
        branches = []
        for ch in sorted(k for k in node if k):
            child = node[ch]
            branch = emit(ch) + (after_first if top else "")
            if any(k for k in child):
                rest = joiner + alternatives(child, False)
                branch += f"(?:{rest})?" if "" in child else rest
            branches.append(branch)
        if not branches:
            return "(?!)"  # only the empty word: nothing to find
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return alternatives(root, True) if root else "(?!)"


#: Whole-word edges of an entity form: not inside a word, an email address
#: or a dotted or hyphenated token ("jodie.mensah@", "Mensah-Cole").
WORD_LEFT = r"(?<![\w@])(?<!\w[.@-])"
WORD_RIGHT = r"(?![\w@])(?!['’]?[.@-]\w)"


def any_case_form(form: str) -> bool:
    """May ``form`` match in any letter case? Multi-word names and first names
    that are not English words may ("jodie mensah", "jodie"); surnames, places
    and name-words match as written or in capitals."""
    words = form.split()
    if len(words) > 1:
        return not all(is_ambiguous_name(w) or w.casefold() in _FUNCTION_WORDS for w in words)
    return is_first_name(form) and not is_ambiguous_name(form) and len(form) >= 3


class FormMatcher:
    """Finds whole-word occurrences of many surface forms in one pass per mode."""

    def __init__(self, forms: Sequence[str], insensitive_forms: set[str] | None = None):
        """``insensitive_forms``: the forms that may match in any case; by
        default decided by :func:`any_case_form`."""
        self.by_key: dict[str, str] = {}
        insensitive: list[str] = []
        sensitive: list[str] = []
        for form in forms:
            form = form.strip()
            if len(form) < 2:
                continue
            if (form in insensitive_forms) if insensitive_forms is not None else any_case_form(form):
                key = form.lower()
                if len(key) == len(form):
                    self.by_key.setdefault(key, form)
                    insensitive.append(key)
                    continue
            variants = {form, form.upper()}
            if form.isupper() and form.isalpha() and len(form) >= 3:
                variants.add(form.title())  # a name first seen in capitals ("SAGAL:", a heading) in ordinary case
            for variant in variants:
                self.by_key.setdefault(variant, form)
                sensitive.append(variant)
        self._ci = re.compile(WORD_LEFT + "(?:" + trie_pattern(insensitive) + ")" + WORD_RIGHT, re.IGNORECASE) if insensitive else None
        self._cs = re.compile(WORD_LEFT + "(?:" + trie_pattern(sensitive) + ")" + WORD_RIGHT) if sensitive else None

    def finditer(self, text: str):
        """Yield ``(start, end, form)``; overlapping hits keep the longer."""
        hits = []
        if self._ci is not None:
            for m in self._ci.finditer(text):
                form = self.by_key.get(m.group().lower())
                if form is not None:
                    hits.append((m.start(), m.end(), form))
        if self._cs is not None:
            for m in self._cs.finditer(text):
                form = self.by_key.get(m.group())
                if form is None:
                    continue
                if len(form.split()) == 1 and is_ambiguous_name(form) and not name_context(text, m.start(), m.end()):
                    continue
                hits.append((m.start(), m.end(), form))
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        last_end = -1
        for h in hits:
            if h[0] >= last_end:
                yield h
                last_end = h[1]


@lru_cache(maxsize=64)
def compile_forms(forms: tuple[str, ...]) -> FormMatcher:
    return FormMatcher(forms)
