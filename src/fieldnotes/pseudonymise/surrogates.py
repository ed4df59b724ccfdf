"""Surrogate names: realistic first names and surnames for PERSON entities,
consistent per real name, unique per entity, deterministic from the
project's seed, and never a real name of the project or a near spelling of
one (:class:`Surrogates`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldnotes.pseudonymise.replace import EntityInfo

# --- surrogate names ----------------------------------------------------------------

# Small curated pools of common UK names. Kept in the module rather than drawn
# from an installed gazetteer so a project's surrogates never change when a
# package is upgraded, and chosen to avoid names that are also ordinary words
# ("Rose", "Will") and the names of the people in sample_data/. Names of the
# project's own entities, their nicknames and near spellings are excluded at
# run time as well. The three pools are disjoint.
FEMALE_NAMES = (
    "Abigail", "Aisha", "Alice", "Alison", "Amelia", "Amira", "Andrea", "Angela", "Beth",
    "Bethany", "Bridget", "Caroline", "Catherine", "Charlotte", "Chloe", "Danielle",
    "Deborah", "Denise", "Donna", "Eleanor", "Elaine", "Eliza", "Ellie", "Emily", "Emma",
    "Erin", "Esther", "Fatima", "Freya", "Gemma", "Gillian", "Harriet", "Helen", "Imogen",
    "Isla", "Janet", "Jasmine", "Jennifer", "Julia", "Karen", "Katie", "Kirsty", "Laura",
    "Leah", "Leanne", "Linda", "Lisa", "Louise", "Lucy", "Lydia", "Maria", "Megan",
    "Melissa", "Michelle", "Molly", "Nadia", "Naomi", "Natalie", "Nicola", "Olivia",
    "Paula", "Rachel", "Rhiannon", "Samantha", "Shona", "Simone", "Susan", "Tanya",
    "Valerie", "Vanessa", "Victoria", "Wendy", "Yasmin", "Zara", "Zoe",
)
MALE_NAMES = (
    "Aaron", "Adam", "Adrian", "Alan", "Andrew", "Anthony", "Arthur", "Callum", "Carl",
    "Christopher", "Colin", "Connor", "Craig", "Darren", "David", "Declan", "Dylan",
    "Edward", "Elliot", "Ethan", "Euan", "Finley", "Gareth", "Gavin", "George", "Hamza",
    "Harry", "Henry", "Ian", "Isaac", "Jacob", "James", "Jamie", "Jason", "Jonathan",
    "Joseph", "Kevin", "Kieran", "Kwame", "Kyle", "Liam", "Luke", "Marcus", "Martin",
    "Matthew", "Michael", "Nathan", "Neil", "Nigel", "Oliver", "Omar", "Owen", "Paul",
    "Peter", "Philip", "Rhys", "Richard", "Robert", "Ryan", "Samuel", "Sean", "Simon",
    "Stephen", "Stuart", "Tariq", "Theo", "Yusuf",
)
SURNAMES = (
    "Adams", "Adeyemi", "Ahmed", "Akhtar", "Allen", "Anderson", "Armstrong", "Asante",
    "Atkinson", "Bailey", "Barker", "Barnes", "Begum", "Boateng", "Booth", "Bradley",
    "Briggs", "Burton", "Butler", "Campbell", "Carter", "Chapman", "Chowdhury", "Clarke",
    "Coleman", "Collins", "Cooper", "Dawson", "Dixon", "Doyle", "Edwards", "Elliott",
    "Fletcher", "Fraser", "Gibson", "Gordon", "Griffiths", "Harris", "Harrison", "Hayes",
    "Henderson", "Holmes", "Hopkins", "Howard", "Hussain", "Iqbal", "Jackson", "Jenkins",
    "Johnson", "Jones", "Kaur", "Kennedy", "Khan", "Kowalski", "Lawson", "Lloyd",
    "Mahmood", "Marsh", "Mitchell", "Moore", "Morris", "Murphy", "Murray", "Nelson",
    "Newton", "Nolan", "Norris", "Nowak", "O'Brien", "Osborne", "Palmer", "Parker",
    "Parsons", "Patel", "Payne", "Pearson", "Perry", "Phillips", "Pritchard", "Quinn",
    "Rahman", "Reynolds", "Richards", "Roberts", "Robinson", "Rogers", "Rowe", "Russell",
    "Saunders", "Sharma", "Shaw", "Simpson", "Singh", "Slater", "Spencer", "Stevens",
    "Sutton", "Taylor", "Thompson", "Townsend", "Tucker", "Wallace", "Walsh", "Watson",
    "Webb", "Wells", "Wheeler", "Wilkinson", "Wilson", "Wright", "Yates",
)

_TITLE_GENDER = {
    "mr": "male", "mrs": "female", "ms": "female", "miss": "female", "sir": "male",
    "dame": "female", "lord": "male", "lady": "female", "master": "male",
}
# A near spelling of a real name is not a safe surrogate: the leak checker's
# fuzzy match would flag it, and a reader might guess the real one.
_TOO_SIMILAR = 80


def _digest(*parts: object) -> int:
    raw = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


@lru_cache(maxsize=1)
def _gender_detector():
    try:
        from gender_guesser.detector import Detector
    except ImportError:  # pragma: no cover
        return None
    return Detector(case_sensitive=False)


def _guess_gender(first_name: str) -> str | None:
    detector = _gender_detector()
    if detector is None:  # pragma: no cover
        return None
    guess = detector.get_gender(first_name.casefold(), "great_britain")
    if guess in ("female", "mostly_female"):
        return "female"
    if guess in ("male", "mostly_male"):
        return "male"
    return None


@lru_cache(maxsize=1)
def _extra_first_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Common British given names from gender-guesser's data, used only when the
    curated pools run out in a very large project."""
    detector = _gender_detector()
    if detector is None:  # pragma: no cover
        return (), ()
    from fieldnotes.pseudonymise.names import is_ambiguous_name, is_first_name

    curated = {n.casefold() for n in (*FEMALE_NAMES, *MALE_NAMES, *SURNAMES)}
    female, male = [], []
    for name, genders in detector.names.items():
        if len(name) < 3 or not name.isalpha() or not name.isascii() or name in curated:
            continue
        for gender, values in genders.items():
            try:
                frequency = int(values[0], 16)  # column 0: Great Britain
            except (ValueError, IndexError):
                continue
            if frequency < 7 or is_ambiguous_name(name) or not is_first_name(name):
                continue
            if gender == "female":
                female.append(name.capitalize())
            elif gender == "male":
                male.append(name.capitalize())
    return tuple(sorted(set(female))), tuple(sorted(set(male)))


@lru_cache(maxsize=2)
def _merged(female: tuple[str, ...], male: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted((*female, *male)))


_NAME_TOKEN = re.compile(r"[^\s,]+")


class Surrogates:
    """Surrogate names for the PERSON entities of one project.

    Every real first name and surname gets one surrogate, so "Jodie Mensah",
    "Mensah" and "Kayden Mensah" stay visibly one family ("Helen Carter",
    "Carter", "Owen Carter"); the choice is made from the seed and the id of
    the entity that first uses the name, never from the name itself (a public
    seed would otherwise let anyone build a table from real to surrogate names).
    """

    def __init__(self, entities: Sequence[EntityInfo], seed: str):
        from fieldnotes.pseudonymise.names import is_first_name, is_kinship, is_title, nickname_variants

        self._is_first_name = is_first_name
        self._is_title = is_title
        self._is_kinship = is_kinship
        self.seed = seed
        real: set[str] = set()
        self.surnames_seen: set[str] = set()
        for entity in entities:
            words = [w.strip(".'’").casefold() for w in _NAME_TOKEN.findall(entity.label)]
            real.update(w for w in words if any(c.isalpha() for c in w))
            if entity.category == "PERSON":
                names = self._name_words(entity.label)[1]
                if len(names) >= 2 or "," in entity.label:
                    last = names[0] if "," in entity.label else names[-1]
                    self.surnames_seen.add(last.casefold())
        forbidden = set(real)
        for word in list(real):
            forbidden.update(v.casefold() for v in nickname_variants(word))
        self.real = sorted(w for w in real if len(w) > 1)
        self.forbidden = forbidden
        self.first_map: dict[str, str] = {}
        self.last_map: dict[str, str] = {}
        self.used_tokens: set[str] = set()
        self.used_full: set[str] = set()
        self.taken_full: set[str] = set()
        for entity in entities:
            if entity.manual:
                self.taken_full.add(entity.manual.strip().casefold())
                self.forbidden.update(w.casefold() for w in _NAME_TOKEN.findall(entity.manual))
        self._allowed_cache: dict[str, bool] = {}

    def _name_words(self, label: str) -> tuple[list[str], list[str]]:
        """(leading titles and kinship words, name words) of a label."""
        words = _NAME_TOKEN.findall(label)
        lead: list[str] = []
        while len(words) > 1 and (self._is_title(words[0]) or self._is_kinship(words[0])):
            lead.append(words.pop(0))
        return lead, words

    def _allowed(self, candidate: str) -> bool:
        key = candidate.casefold()
        cached = self._allowed_cache.get(key)
        if cached is None:
            cached = key not in self.forbidden
            if cached and self.real:
                from rapidfuzz import fuzz, process

                near = process.extractOne(key, self.real, scorer=fuzz.ratio, score_cutoff=_TOO_SIMILAR)
                cached = near is None
            self._allowed_cache[key] = cached
        return cached and key not in self.used_tokens

    def _pick(self, pool: Sequence[str], *key: object) -> str | None:
        if not pool:
            return None
        start = _digest(self.seed, *key) % len(pool)
        for i in range(len(pool)):
            candidate = pool[(start + i) % len(pool)]
            if self._allowed(candidate):
                self.used_tokens.add(candidate.casefold())
                return candidate
        return None

    @staticmethod
    def _first_pool(gender: str | None, extra: bool = False) -> tuple[str, ...]:
        female, male = _extra_first_names() if extra else (FEMALE_NAMES, MALE_NAMES)
        if gender == "female":
            return female
        if gender == "male":
            return male
        return _merged(female, male)

    def _fresh_first(self, gender: str | None, *key: object) -> str | None:
        return self._pick(self._first_pool(gender), "first", *key) or self._pick(
            self._first_pool(gender, extra=True), "first+", *key
        )

    def _first(self, real: str, gender: str | None, entity_id: int, position: int) -> str | None:
        key = real.casefold()
        if key not in self.first_map:
            found = self._fresh_first(gender, entity_id, position)
            if found is None:
                return None
            self.first_map[key] = found
        return self.first_map[key]

    def _last(self, real: str, entity_id: int, position: int) -> str | None:
        key = real.casefold()
        if key not in self.last_map:
            found = self._pick(SURNAMES, "last", entity_id, position)
            if found is None:
                return None
            self.last_map[key] = found
        return self.last_map[key]

    @staticmethod
    def _shape(real: str, surrogate: str) -> str:
        """An initial stays an initial: "J." -> "H."."""
        core = real.strip(".")
        if len(core) == 1:
            return surrogate[0] + real[1:]
        return surrogate

    def _surname_and_given(self, entity: EntityInfo, lead: list[str], words: list[str],
                           comma: bool) -> tuple[str | None, list[str]]:
        """The label's surname (or None) and given names."""
        if comma:  # "Hughes, Carys"
            return words[0], words[1:]
        if len(words) >= 2:
            return words[-1], words[:-1]
        single = words[0]
        # A lone word is a given name unless a title precedes it, the
        # project uses it as a family name, or it is no known given name
        # and nothing says it is one.
        as_surname = bool(lead and any(self._is_title(w) for w in lead)) or (
            single.casefold() in self.surnames_seen
        ) or (entity.gender not in ("female", "male") and not self._is_first_name(single))
        return (single, []) if as_surname else (None, [single])

    @staticmethod
    def _gender(entity: EntityInfo, lead: list[str], given: list[str]) -> str | None:
        """The entity's gender hint, else its title's, else a guess from its
        first given name."""
        gender = entity.gender
        if gender not in ("female", "male"):
            gender = next((_TITLE_GENDER[w.rstrip(".").casefold()] for w in lead
                           if w.rstrip(".").casefold() in _TITLE_GENDER), None)
        if gender is None and given and len(given[0].strip(".")) > 1:
            gender = _guess_gender(given[0])
        return gender

    def name_for(self, entity: EntityInfo) -> str | None:
        """A surrogate with the shape of the entity's label, or None when the
        pools are exhausted (the caller falls back to a tag)."""
        lead, words = self._name_words(entity.label)
        if not words:
            return None
        comma = "," in entity.label and len(words) >= 2
        last_word, given = self._surname_and_given(entity, lead, words, comma)
        gender = self._gender(entity, lead, given)
        out_given: list[str] = []
        for i, word in enumerate(given):
            if len(word.strip(".")) == 1:
                found = self._fresh_first(gender, entity.id, "initial", i)
            else:
                found = self._first(word, gender, entity.id, i)
            if found is None:
                return None
            out_given.append(self._shape(word, found))
        out_last = None
        if last_word is not None:
            out_last = self._last(last_word, entity.id, len(given))
            if out_last is None:
                return None
            out_last = self._shape(last_word, out_last)

        def compose() -> str:
            if comma:
                name = f"{out_last}, {' '.join(out_given)}"
            else:
                name = " ".join([*out_given, *([out_last] if out_last else [])])
            return " ".join([*lead, name])

        name = compose()
        # Two entities with the same real name are two people (the researcher
        # split them): the later one gets a fresh first name, or surname.
        attempt = 0
        while name.casefold() in self.used_full or name.casefold() in self.taken_full:
            attempt += 1
            if out_given:
                fresh = self._fresh_first(gender, entity.id, "again", attempt)
                if fresh is None:
                    return None
                out_given[0] = self._shape(given[0], fresh)
            else:
                fresh = self._pick(SURNAMES, "last-again", entity.id, attempt)
                if fresh is None:
                    return None
                out_last = self._shape(last_word, fresh)
            name = compose()
        self.used_full.add(name.casefold())
        return name
