"""Group detected mentions into entities, then find every other occurrence.

One entity is one real person, place, organisation or identifier. Mentions are
grouped by rules and rapidfuzz:

* possessives and case: "Jodie's", "JODIE", "jodie" -> Jodie;
* misspellings: "Jodi" -> Jodie, "Mensa" -> Mensah, "Okafur" -> Okafor
  (Jaro-Winkler >= 0.88 and at most one or two edits, both words at least
  four letters, same first letter, and the variant rarer than the spelling it
  joins; so "Ben"/"Bea" and "Lee"/"Leo" stay apart);
* nicknames: Billy -> William, Pat -> Patience (the ``nicknames`` table);
* first name, surname, full name and "Surname, Forename": "Anita", "Shah",
  "Anita Shah", "Hughes, Carys" -> one person when unambiguous.

A first name or surname shared by several people ("Hughes": Sandra and Carys;
"Grace": Grace Bennett and Grace Williams) joins the person whose full name
appears in the same document, when exactly one does; otherwise it becomes an
entity of its own (label "Hughes"), for the researcher to merge or split. Every
mention keeps its document and offsets, so a later split can move mentions
between entities.

Propagation then searches every document for every surface form of every
entity (one combined pattern per document, not one search per entity) and adds
the occurrences detection missed with detector ``"propagated"``. Forms that are
not ordinary words match in any case ("jodie"); forms that are also English
words ("Will", "May", "Grace", "Price") match only capitalised and only in a
context that reads as a name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from rapidfuzz.distance import JaroWinkler, Levenshtein

from fieldnotes.pseudonymise.categories import NON_IDENTIFYING, STRUCTURED, is_kept
from fieldnotes.pseudonymise.detect import _SENTENCE_END_BEFORE, Candidate
from fieldnotes.pseudonymise.forms import WORD_LEFT, FormMatcher, any_case_form, trie_pattern
from fieldnotes.pseudonymise.names import (
    _FUNCTION_WORDS,
    are_nicknames,
    is_ambiguous_name,
    is_common_first_name,
    is_first_name,
    is_kinship,
    is_role_word,
    strip_possessive,
)
from fieldnotes.pseudonymise.register import RegisterEntry
from fieldnotes.pseudonymise.rules import ORG_SUFFIX_RE

Mention = tuple[int, int, int, str, str, float]  # (doc_index, start, end, text, detector, score)


@dataclass(slots=True)
class EntityDraft:
    category: str
    label: str
    surfaces: set[str]
    mentions: list[Mention]
    pseudonym: str | None = None


# --- normalisation -------------------------------------------------------------------

_WS = re.compile(r"\s+")


_SAINT = re.compile(r"(?:St\.?|Saint)\s")


def _norm(text: str) -> str:
    text = text.strip()
    if not _SAINT.match(text):
        text = strip_possessive(text)
    return _WS.sub(" ", text).strip()


def _structured_key(category: str, text: str) -> str:
    if category in ("PHONE", "NHS_NUMBER"):
        digits = re.sub(r"\D", "", text)
        return digits if digits else text.casefold()
    if category in ("POSTCODE", "NI_NUMBER", "REFERENCE"):
        return re.sub(r"[\s-]", "", text).upper()
    if category == "ADDRESS":
        return _WS.sub(" ", text.replace(",", " ")).casefold().strip()
    return _WS.sub(" ", text).casefold().strip()


def _name_parts(text: str) -> list[str]:
    """Words of a person's name in forename-surname order, without titles,
    possessives or family words ("Nana Pat" -> ["Pat"], "Hughes, Carys" ->
    ["Carys", "Hughes"])."""
    text = _norm(text)
    if "," in text:
        left, _, right = text.partition(",")
        if left.strip() and right.strip():
            text = right.strip() + " " + left.strip()
    words = [w.strip(".") for w in text.split()]
    words = [w for w in words if w and not is_kinship(w)] or [w.strip(".") for w in text.split()]
    return words


def _similar(a: str, b: str) -> bool:
    """Misspelling test for two single words (casefolded)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 4 or a[0] != b[0]:
        return False
    edits = Levenshtein.distance(a, b)
    limit = 1 if min(len(a), len(b)) <= 4 else 2
    return edits <= limit and JaroWinkler.similarity(a, b) >= 0.88


def _same_given(a: str, b: str) -> bool:
    return a == b or _similar(a, b) or are_nicknames(a, b)


def _initial_match(a: str, b: str) -> bool:
    """"e" matches "ellison" (an initial), and names match themselves."""
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return False


# --- clustering ----------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    first: str | None
    last: str | None
    mentions: list[int] = field(default_factory=list)  # indexes into the mention list
    full_docs: set[int] = field(default_factory=set)
    register: int | None = None


@dataclass(slots=True)
class _M:
    doc: int
    start: int
    end: int
    text: str
    detector: str
    score: float
    category: str
    preceded_by: str = ""
    followed_by: str = ""


_PLACE_PREPOSITIONS = frozenset({"in", "to", "from", "near", "around", "towards", "outside", "via", "through"})
_PREV_WORD = re.compile(r"([A-Za-z]+)[ \t]+$")
_NEXT_WORDS = re.compile(r"[ \t]+([a-z]+)(?:[ \t]+([a-z]+))?")
_TEAM_WORDS = frozenset({"team", "teams", "workers", "hubs", "patch", "district", "districts", "area", "office", "locality"})


def cluster(
    candidates: Sequence[Sequence[Candidate]],
    texts: Sequence[str],
    *,
    allowlist: Iterable[str] = (),
    register: Sequence[RegisterEntry] = (),
    propagate: bool = True,
) -> list[EntityDraft]:
    """Group candidates into entities and (by default) add every further
    occurrence of their surface forms as ``"propagated"`` mentions.

    ``candidates`` holds one list per text (as :func:`~fieldnotes.
    pseudonymise.detect.detect` returns them). Words and phrases in
    ``allowlist`` (case-insensitive) never become mentions. Register entries
    seed entities: all their forms are one entity with the register's
    pseudonym.
    """
    texts = list(texts)
    allow = {_norm(a).casefold() for a in allowlist if a and a.strip()}
    allow_matcher = _allow_matcher(tuple(sorted(allow))) if allow else None
    allowed_spans = [list(_allowed_spans(allow_matcher, t)) if allow_matcher else [] for t in texts]
    mentions = _settle_categories(_mentions_of(candidates, texts, allow, allowed_spans), texts)

    entities: list[EntityDraft] = []
    owner: dict[int, int] = {}  # mention index -> entity index
    reg_forms = _seed_register(register, mentions, entities, owner)
    _cluster_people(mentions, owner, entities, register, reg_forms)
    _cluster_others(mentions, owner, entities)

    for i, m in enumerate(mentions):
        ent = entities[owner[i]]
        ent.mentions.append((m.doc, m.start, m.end, m.text, m.detector, m.score))
        ent.surfaces.add(m.text)

    if propagate:
        _propagate(entities, texts, allowed_spans, register)

    for ent in entities:
        ent.mentions.sort(key=lambda x: (x[0], x[1]))
        if not ent.label:
            ent.label = _best_label(ent)
    return [e for e in entities if e.mentions or e.pseudonym]


def _mentions_of(candidates: Sequence[Sequence[Candidate]], texts: list[str], allow: set[str],
                 allowed_spans: list[list[tuple[int, int]]]) -> list[_M]:
    """The candidates that are neither allowed nor on the keep list, with
    the words around them."""
    allow_words = frozenset(allow)
    mentions: list[_M] = []
    for d, doc_cands in enumerate(candidates):
        for c in doc_cands:
            if _is_allowed(c.text, c.start, c.end, allow, allowed_spans[d]):
                continue
            if c.category not in STRUCTURED and c.detector not in ("register", "speaker", "rule:alias") and is_kept(c.text, allow_words):
                continue  # the shipped keep list, with the project's own words
            prev = _PREV_WORD.search(texts[d], max(0, c.start - 20), c.start)
            nxt = _NEXT_WORDS.match(texts[d], c.end, c.end + 30)
            mentions.append(
                _M(d, c.start, c.end, c.text, c.detector, c.score, c.category,
                   prev.group(1).lower() if prev else "", " ".join(g for g in nxt.groups() if g) if nxt else "")
            )
    return mentions


def _settle_categories(mentions: list[_M], texts: list[str]) -> list[_M]:
    """One category per form by vote; a leading ordinary word trimmed off
    a model's person ("Shadowing Anita Shah"); weak mentions of words the project
    shows to be ordinary dropped."""
    _vote_categories(mentions)
    lower_vocab = _lower_vocabulary(texts)
    persons = {m.text for m in mentions if m.category == "PERSON"}
    for m in mentions:
        if m.detector == "ner" and m.category == "PERSON" and " " in m.text:
            _trim_ordinary_lead(m, lower_vocab, persons)
    ordinary = _ordinary_words(mentions, texts, lower_vocab)
    if ordinary:
        mentions = [m for m in mentions if not (m.detector in _WEAK and _norm(m.text).casefold() in ordinary)]
    return mentions


def _seed_register(register: Sequence[RegisterEntry], mentions: list[_M], entities: list[EntityDraft],
                   owner: dict[int, int]) -> dict[tuple[str, str], int]:
    """Register entries seed entities, and own the mentions of their forms;
    returns ``(category, folded form) -> entity index``."""
    reg_forms: dict[tuple[str, str], int] = {}
    for entry in register:
        idx = len(entities)
        entities.append(EntityDraft(entry.category, entry.name, set(), [], entry.pseudonym))
        for form in entry.forms:
            reg_forms.setdefault((entry.category, _norm(form).casefold()), idx)
            if entry.category == "PERSON":
                reg_forms.setdefault(("PERSON", " ".join(_name_parts(form)).casefold()), idx)
    for i, m in enumerate(mentions):
        key = (m.category, _norm(m.text).casefold())
        idx = reg_forms.get(key)
        if idx is None and m.category == "PERSON":
            idx = reg_forms.get(("PERSON", " ".join(_name_parts(m.text)).casefold()))
        if idx is not None:
            owner[i] = idx
    return reg_forms


def _allow_matcher(allow: tuple[str, ...]) -> re.Pattern:
    return re.compile(WORD_LEFT + "(?:" + trie_pattern(allow) + ")" + r"(?!\w)", re.IGNORECASE)


def _allowed_spans(pattern: re.Pattern, text: str):
    for m in pattern.finditer(text.casefold() if len(text.casefold()) == len(text) else text):
        yield m.start(), m.end()


def _is_allowed(text: str, start: int, end: int, allow: set[str], spans: list[tuple[int, int]]) -> bool:
    folded = _norm(text).casefold()
    if folded in allow:
        return True
    return any(a <= start and end <= b for a, b in spans)


_WEAK = frozenset({"ner", "gazetteer", "propagated"})


def _ordinary_words(mentions: list[_M], texts: list[str], lower_vocab: set[str]) -> set[str]:
    """Single words the model took for names that the project itself shows to
    be ordinary words: capitalised only at the start of a sentence or after
    another capitalised word ("Time.", "School's the big thing", "Thinking
    Space"), and either used in lower case somewhere or only ever a sentence
    of one word ("Habit.")."""
    strong = {_norm(m.text).casefold() for m in mentions if m.detector not in _WEAK}
    words = {
        _norm(m.text)
        for m in mentions
        if m.detector in _WEAK and len(_norm(m.text).split()) == 1 and _norm(m.text).casefold() not in strong
    }
    words = {w for w in words if w[:1].isupper() and w.isalpha() and not is_first_name(w)}
    if not words:
        return set()
    pattern = re.compile(r"\b(?:" + trie_pattern(sorted({w.lower() for w in words})) + r")\b", re.IGNORECASE)
    proper: set[str] = set()
    alone: Counter = Counter()
    seen: Counter = Counter()
    for text in texts:
        for m in pattern.finditer(text):
            word = m.group()
            key = word.casefold()
            if word.islower():
                continue
            seen[key] += 1
            before = text[max(0, m.start() - 30):m.start()]
            if _SENTENCE_END_BEFORE.search(before):
                if re.match(r"[.!?]", text[m.end():m.end() + 1]):
                    alone[key] += 1
                continue
            prev = re.search(r"(\S+)\s+$", before)
            if prev and prev.group(1).strip("\"'“”‘’([")[:1].isupper():
                continue
            proper.add(key)
    out = set()
    for w in words:
        key = w.casefold()
        if key in proper:
            continue
        if key in lower_vocab or (seen[key] and alone[key] == seen[key]):
            out.add(key)
    return out


def _lower_vocabulary(texts: list[str]) -> set[str]:
    vocab: set[str] = set()
    for text in texts:
        vocab.update(re.findall(r"(?<![\w@.])[a-z]+(?![\w@])", text))
    return vocab


def _trim_ordinary_lead(m: _M, lower_vocab: set[str], persons: set[str]) -> None:
    """"Shadowing Anita Shah" (a heading the model read as one name) ->
    "Anita Shah": leading words the project uses in lower case are cut."""
    words = list(re.finditer(r"\S+", m.text))
    cut = 0
    while cut < len(words) - 1:
        w = words[cut].group()
        rest = m.text[words[cut + 1].start():] if cut + 1 < len(words) else ""
        if w[:1].isupper() and not is_first_name(w) and (
            w.lower() in lower_vocab or re.search(r"(?:ing|ed)$", w) or rest in persons
        ):
            cut += 1
        else:
            break
    if cut:
        offset = words[cut].start()
        m.start += offset
        m.text = m.text[offset:]


def _vote_categories(mentions: list[_M]) -> None:
    """One category per surface for model-made mentions: rules, speaker labels
    and the register outvote the model; a word that is part of a person's full
    name elsewhere is a person ("Carys" tagged as an organisation)."""
    person_tokens: Counter = Counter()
    for m in mentions:
        if m.category == "PERSON" and (m.detector in ("speaker", "register") or m.detector.startswith("rule:")):
            parts = _name_parts(m.text)
            for p in parts:
                person_tokens[p.casefold()] += 2
        elif m.category == "PERSON" and m.detector == "ner":
            parts = _name_parts(m.text)
            if len(parts) >= 2:
                weight = 2 if is_first_name(parts[0]) else 1
                for p in parts:
                    person_tokens[p.casefold()] += weight
    strong_names = {
        " ".join(_name_parts(m.text)).casefold()
        for m in mentions
        if m.category == "PERSON" and m.detector not in _WEAK
    }
    votes: dict[str, Counter] = defaultdict(Counter)
    for m in mentions:
        if m.category in STRUCTURED:
            continue
        weight = 3.0 if (m.detector in ("speaker", "register") or m.detector.startswith("rule:")) else (1.0 if m.detector == "ner" else 0.4)
        key = _norm(m.text).casefold()
        votes[key][m.category] += weight
        if m.detector == "ner" and not is_common_first_name(m.text.split()[0]):
            if m.preceded_by in _PLACE_PREPOSITIONS:
                votes[key]["PLACE"] += 2.0  # "in Ludlow", "to Hadley": a place
            elif _TEAM_WORDS.intersection(m.followed_by.split()):
                votes[key]["PLACE"] += 2.0  # "the Oakengates assessment team"
    # short names of establishments seen in full ("Little Acorns" of "Little
    # Acorns Nursery") lean towards the organisation
    for m in mentions:
        if m.category == "ORG" and ORG_SUFFIX_RE.search(m.text):
            stem = ORG_SUFFIX_RE.sub("", _norm(m.text)).casefold()
            if stem in votes and stem != _norm(m.text).casefold() and len(stem.split()) > 1:
                votes[stem]["ORG"] += 2.5
    for key, counter in votes.items():
        if len(key.split()) == 1 and person_tokens.get(key, 0) >= 2:
            counter["PERSON"] += person_tokens[key]
        elif " ".join(_name_parts(key)).casefold() in strong_names:
            counter["PERSON"] += 3.0
    for m in mentions:
        if m.category in STRUCTURED or m.detector in ("speaker", "register") or m.detector.startswith("rule:"):
            continue
        counter = votes[_norm(m.text).casefold()]
        if counter:
            m.category = counter.most_common(1)[0][0]


def _cluster_people(mentions: list[_M], owner: dict[int, int], entities: list[EntityDraft], register, reg_forms) -> None:
    """Group the PERSON mentions no one owns yet into people, and record
    each mention's entity in ``owner`` (a new draft per person, or the
    register entry's)."""
    full, single = _person_mentions(mentions, owner)
    people = _register_people(register, reg_forms)
    _join_full_names(people, full, mentions)
    _join_initial_surnames(people)
    leftovers = _join_single_words(people, single, mentions)
    people += _group_leftovers(leftovers)
    for person in people:
        if not person.mentions and person.register is None:
            continue
        if person.register is not None:
            idx = person.register
        else:
            idx = len(entities)
            entities.append(EntityDraft("PERSON", "", set(), []))
        for i in person.mentions:
            owner[i] = idx


def _person_mentions(mentions: list[_M], owner: dict[int, int]) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """The unowned PERSON mentions: full names ``(index, folded parts)``
    and single words ``(index, folded word)``."""
    full: list[tuple[int, list[str]]] = []
    single: list[tuple[int, str]] = []
    for i, m in enumerate(mentions):
        if m.category != "PERSON" or i in owner:
            continue
        parts = [p.casefold() for p in _name_parts(m.text)]
        if not parts:
            continue
        if len(parts) >= 2:
            full.append((i, parts))
        else:
            single.append((i, parts[0]))
    return full, single


def _register_people(register, reg_forms) -> list[_Person]:
    """Register people take part in matching like full names seen in the text."""
    people: list[_Person] = []
    for entry in register:
        if entry.category != "PERSON":
            continue
        ent_idx = reg_forms.get(("PERSON", _norm(entry.name).casefold()))
        parts = [p.casefold() for p in _name_parts(entry.name)]
        if ent_idx is None or not parts:
            continue
        person = _Person(parts[0] if len(parts) >= 2 else parts[0], parts[-1] if len(parts) >= 2 else None)
        person.register = ent_idx
        people.append(person)
    return people


def _join_full_names(people: list[_Person], full: list[tuple[int, list[str]]], mentions: list[_M]) -> None:
    """Full names join a person with the same (or a near, or an initial)
    surname and given name, else become a new person; most frequent first,
    so a misspelt full name joins the usual one."""
    counts = Counter(" ".join(p) for _, p in full)
    full.sort(key=lambda x: (-counts[" ".join(x[1])], x[0]))
    for i, parts in full:
        first, last = parts[0], parts[-1]
        match = None
        for person in people:
            if person.last is None or person.first is None:
                continue
            if (last == person.last or _similar(last, person.last) or _initial_match(last, person.last)) and (
                _same_given(first, person.first) or _initial_match(first, person.first)
            ):
                match = person
                break
        if match is None:
            match = _Person(first, last)
            people.append(match)
        match.mentions.append(i)
        match.full_docs.add(mentions[i].doc)


def _join_initial_surnames(people: list[_Person]) -> None:
    """A person known only by an initial surname ("Mark E") joins the one
    full name it can be."""
    for person in list(people):
        if person.last and len(person.last) == 1:
            others = [p for p in people if p is not person and p.first == person.first and p.last and p.last[0] == person.last]
            if len(others) == 1:
                others[0].mentions += person.mentions
                others[0].full_docs |= person.full_docs
                people.remove(person)


def _join_single_words(people: list[_Person], single: list[tuple[int, str]], mentions: list[_M]) -> list[tuple[int, str]]:
    """Single words join the one person whose given name or surname they
    are (among several, the one named in full in the same document);
    returns the words that join no one."""
    single_counts = Counter(w for _, w in single)
    leftovers: list[tuple[int, str]] = []
    for i, word in single:
        doc = mentions[i].doc
        found = _owners_of_word(word, people, single_counts)
        if len(found) > 1:
            here = [p for p in found if doc in p.full_docs]
            found = here if len(here) == 1 else []
        if len(found) == 1:
            found[0].mentions.append(i)
        else:
            leftovers.append((i, word))
    return leftovers


def _group_leftovers(leftovers: list[tuple[int, str]]) -> list[_Person]:
    """What is left groups by word, one new person per group; rarer
    misspellings and nicknames join the more frequent form."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, word in leftovers:
        groups[word].append(i)
    order = sorted(groups, key=lambda w: (-len(groups[w]), w))
    merged: dict[str, str] = {}
    for w in order:
        for head in order:
            if head == w:
                break
            if merged.get(head, head) != head:
                continue
            if len(groups[w]) * 2 <= len(groups[head]) and _similar(w, head) or are_nicknames(w, head):
                merged[w] = head
                break
    for w in order:
        head = merged.get(w, w)
        if head != w:
            groups[head] += groups[w]
    return [_Person(w, None, groups[w]) for w in order if merged.get(w, w) == w]


def _owners_of_word(word: str, people: list[_Person], counts: Counter) -> list[_Person]:
    """People a single name word can belong to: exact given name or surname
    first, then misspellings, then nicknames."""
    exact = [p for p in people if p.first == word and p.last] + [p for p in people if p.last == word and p.first]
    if exact:
        return _unique(exact)
    fuzzy = [p for p in people if p.last and p.first and (_similar(word, p.first) or _similar(word, p.last))]
    if fuzzy:
        return _unique(fuzzy)
    nick = [p for p in people if p.last and p.first and are_nicknames(word, p.first)]
    return _unique(nick)


def _unique(items: list[_Person]) -> list[_Person]:
    seen: list[_Person] = []
    for p in items:
        if all(p is not q for q in seen):
            seen.append(p)
    return seen


def _cluster_others(mentions: list[_M], owner: dict[int, int], entities: list[EntityDraft]) -> None:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, m in enumerate(mentions):
        if i in owner:
            continue
        if m.category in STRUCTURED:
            key = _structured_key(m.category, m.text)
        else:
            key = _norm(m.text).casefold()
        groups[(m.category, key)].append(i)
    # short forms of establishments join the full name: "St Mary's" and "St
    # Mary's Primary" -> "St Mary's Primary School"
    org_keys = sorted((k for c, k in groups if c == "ORG"), key=len, reverse=True)
    target: dict[tuple[str, str], tuple[str, str]] = {}
    for key in org_keys:
        for longer in org_keys:
            if len(longer) <= len(key):
                break
            if longer.startswith(key + " ") and ORG_SUFFIX_RE.search(longer):
                target[("ORG", key)] = target.get(("ORG", longer), ("ORG", longer))
                break
    index: dict[tuple[str, str], int] = {}
    for gkey in sorted(groups, key=lambda k: -len(k[1])):
        dest = target.get(gkey, gkey)
        if dest not in index:
            index[dest] = len(entities)
            entities.append(EntityDraft(gkey[0], "", set(), []))
        index[gkey] = index[dest]
        for i in groups[gkey]:
            owner[i] = index[dest]


def _best_label(ent: EntityDraft) -> str:
    counts = Counter(_norm(m[3]) for m in ent.mentions if m[4] != "propagated") or Counter(_norm(m[3]) for m in ent.mentions)
    if not counts:
        return next(iter(ent.surfaces), "")

    def rank(item):
        text, n = item
        if ent.category == "PERSON":
            parts = _name_parts(text)
            mixed = any(c.islower() for c in text) and any(c.isupper() for c in text)
            return (min(len(parts), 2), mixed, "," not in text, n, len(text))
        mixed = any(c.islower() for c in text) and text[:1].isupper()
        return (mixed, len(text.split()), n, len(text))

    text = max(counts.items(), key=rank)[0]
    if ent.category == "PERSON":
        parts = _name_parts(text)
        return " ".join(parts) if len(parts) >= 2 else text
    return text


# --- propagation ---------------------------------------------------------------------


def _derived_forms(ent: EntityDraft) -> set[str]:
    """Extra forms worth searching for: the given name and surname of a full
    name, and the short name of an establishment ("Little Acorns")."""
    out: set[str] = set()
    if ent.category == "PERSON":
        for surface in ent.surfaces:
            parts = _name_parts(surface)
            if len(parts) == 1 and len(surface.split()) == 2 and is_kinship(surface.split()[0]):
                out.add(parts[0])  # "Auntie Pat" -> "Pat" on her own too
            if len(parts) == 1 and len(parts[0]) >= 4 and parts[0][:1].isupper() and not is_first_name(parts[0]) \
                    and not parts[0].endswith("s"):
                out.add(parts[0] + "s")  # "the Pembertons": the family of a surname
            if len(parts) >= 2:
                for p in (parts[0], parts[-1]):
                    if len(p) >= 2 and not is_role_word(p) and (p.casefold() not in _FUNCTION_WORDS or is_ambiguous_name(p)):
                        out.add(p)
    elif ent.category == "ORG":
        for surface in ent.surfaces:
            short = ORG_SUFFIX_RE.sub("", surface).strip()
            if short != surface and len(short) >= 3 and len(short.split()) >= 1:
                out.add(short)
    return out


def _propagate(entities: list[EntityDraft], texts: list[str], allowed_spans, register) -> None:
    form_owners: dict[str, list[int]] = defaultdict(list)
    place_forms = {s.casefold() for e in entities if e.category == "PLACE" for s in e.surfaces}
    explicit: set[str] = set()
    for idx, ent in enumerate(entities):
        if ent.category == "DATE":
            continue  # "the twelfth" elsewhere is rarely the same day
        forms = set(ent.surfaces)
        explicit |= {f.casefold() for f in forms}
        for f in _derived_forms(ent):
            if ent.category == "ORG" and f.casefold() in place_forms:
                continue  # "Wellington" of "Wellington Family Hub" is the town
            forms.add(f)
        for f in forms:
            if f.casefold() in NON_IDENTIFYING or len(f) < 2 or (ent.category not in STRUCTURED and is_kept(f)):
                continue
            if f.casefold() in _FUNCTION_WORDS and not is_ambiguous_name(f):
                continue
            if idx not in form_owners[f]:
                form_owners[f].append(idx)
    for reg_idx, entry in enumerate(register):
        for f in entry.forms:
            if reg_idx not in form_owners[f]:
                form_owners[f].append(reg_idx)
    if not form_owners:
        return
    # any case for people's names; places and organisations as written
    insensitive = {
        f for f, owners in form_owners.items()
        if any_case_form(f) and (len(f.split()) == 1 or any(entities[i].category == "PERSON" for i in owners))
    }
    matcher = FormMatcher(tuple(sorted(form_owners)), insensitive)
    existing: list[list[tuple[int, int, int, str]]] = [[] for _ in texts]
    per_doc_entities: list[Counter] = [Counter() for _ in texts]
    for idx, ent in enumerate(entities):
        for d, s, e, _t, det, _sc in ent.mentions:
            existing[d].append((s, e, idx, det))
            per_doc_entities[d][idx] += 1
    removed: set[tuple[int, int, int, int]] = set()  # (entity, doc, start, end)
    for d, text in enumerate(texts):
        spans = sorted(existing[d])
        starts = [x[0] for x in spans]
        for s, e, form in matcher.finditer(text):
            if any(a <= s and e <= b for a, b in allowed_spans[d]):
                continue
            hit = _overlapping(spans, starts, s, e)
            if hit:
                # a longer form may replace what the model cut short
                # ("Acorns" inside "Little Acorns"); anything else wins
                if not all(det in _WEAK and s <= a and b <= e and (b - a) < (e - s) for a, b, _i, det in hit):
                    continue
            idx = _choose_owner(form_owners[form], form, entities, per_doc_entities[d])
            if idx is None:
                continue
            for a, b, i, _det in hit:
                removed.add((i, d, a, b))
            entities[idx].mentions.append((d, s, e, text[s:e], "propagated", 0.7))
    if removed:
        for idx, ent in enumerate(entities):
            ent.mentions = [m for m in ent.mentions if (idx, m[0], m[1], m[2]) not in removed or m[4] == "propagated"]
            ent.surfaces = {m[3] for m in ent.mentions if m[4] != "propagated"} or ent.surfaces


def _overlapping(spans: list[tuple[int, int, int, str]], starts: list[int], s: int, e: int):
    from bisect import bisect_left

    out = []
    i = bisect_left(starts, e) - 1
    while i >= 0:
        a, b, idx, det = spans[i]
        if b > s:
            out.append(spans[i])
        elif a < s - 300:
            break
        i -= 1
    return out


def _choose_owner(owners: list[int], form: str, entities: list[EntityDraft], here: Counter) -> int | None:
    if len(owners) == 1:
        return owners[0]
    # an entity that has this exact form among its own surfaces and appears here
    with_form = [i for i in owners if form in entities[i].surfaces]
    present = [i for i in owners if here.get(i)]
    both = [i for i in with_form if i in present]
    for pool in (both, present, with_form, owners):
        if pool:
            return max(pool, key=lambda i: (here.get(i, 0), len(entities[i].mentions)))
    return None
