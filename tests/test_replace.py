"""Replacements per entity and the offset-mapped pseudonymised view."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from rapidfuzz import fuzz

from fieldnotes.pseudonymise.names import is_ambiguous_name, nickname_variants
from fieldnotes.pseudonymise.dates import date_shift_for
from fieldnotes.pseudonymise.offsets import OffsetMap, Replacement, render, resolve_overlaps
from fieldnotes.pseudonymise.replace import STRATEGIES, EntityInfo, assign_replacements
from fieldnotes.pseudonymise.surrogates import FEMALE_NAMES, MALE_NAMES, SURNAMES

# The people of sample_data/ (see its README) and the report in seed/.
CAST = (
    "Anita Shah", "Ben Okafor", "Claire Donovan", "Mark Ellison", "Sandra Hughes",
    "Carys Hughes", "Tom Whitfield", "Dev Malhotra", "Jo Kelly", "Priya", "Lorraine",
    "Hannah", "Josh", "Jodie Mensah", "Jodi", "Patience Mensah", "Nana Pat", "Lee Turner",
    "Kayden Mensah", "Ruby Turner", "Tyson", "Stacey Williams", "William Williams", "Billy",
    "Grace Williams", "Margaret Price", "Sarah Hale", "Will Harper", "Grace Bennett",
    "Imran Qureshi", "Fiona Reid", "Kerry Lowe", "Maisie", "Tyler", "Evans", "Dan",
    "Sophie", "Becky",
)
CAST_WORDS = {w.casefold() for name in CAST for w in name.split()}


def people(*labels: str, start: int = 1) -> list[EntityInfo]:
    return [EntityInfo(i, "PERSON", label) for i, label in enumerate(labels, start)]


# --- tags ---------------------------------------------------------------------------


def test_tags_are_numbered_per_category_in_order_of_entity_id():
    entities = [
        EntityInfo(7, "PERSON", "Anita Shah"),
        EntityInfo(2, "PERSON", "Jodie Mensah"),
        EntityInfo(3, "PLACE", "Hadley"),
        EntityInfo(4, "ORG", "Northmoor Council"),
        EntityInfo(5, "ORG", "St Mary's Primary School"),
        EntityInfo(6, "ORG", "Little Acorns Nursery"),
        EntityInfo(8, "ORG", "Castle Street Surgery"),
        EntityInfo(9, "PLACE", "Hadley Hub"),
        EntityInfo(10, "ORG", "Oakfield Academy"),
        EntityInfo(11, "ADDRESS", "14 Mill Lane"),
        EntityInfo(12, "PHONE", "07700 900418"),
        EntityInfo(13, "EMAIL", "anita.shah@northmoor.gov.uk"),
        EntityInfo(14, "NHS_NUMBER", "943 476 5919"),
        EntityInfo(15, "NI_NUMBER", "QQ 12 34 56 C"),
        EntityInfo(16, "REFERENCE", "NMC-2025-04417"),
        EntityInfo(17, "PLACE", "Ludlow"),
        EntityInfo(1, "PERSON", "Lee Turner"),
    ]
    assert assign_replacements(entities) == {
        1: "[Person 1]",
        2: "[Person 2]",
        7: "[Person 3]",
        3: "[Place 1]",
        17: "[Place 2]",
        4: "[Organisation 1]",
        5: "[School 1]",
        10: "[School 2]",
        6: "[Nursery 1]",
        8: "[Surgery 1]",
        9: "[Hub 1]",
        11: "[Address 1]",
        12: "[Phone 1]",
        13: "[Email 1]",
        14: "[NHS number 1]",
        15: "[NI number 1]",
        16: "[Reference 1]",
    }


def test_tags_do_not_move_when_an_entity_is_added_later():
    before = [EntityInfo(1, "PERSON", "Jodie Mensah"), EntityInfo(2, "PLACE", "Hadley"),
              EntityInfo(3, "PERSON", "Lee Turner")]
    first = assign_replacements(before)
    after = assign_replacements([*before, EntityInfo(4, "PERSON", "Anita Shah"),
                                 EntityInfo(5, "PLACE", "Telford")])
    assert {k: after[k] for k in first} == first == {1: "[Person 1]", 2: "[Place 1]", 3: "[Person 2]"}
    assert after[4] == "[Person 3]" and after[5] == "[Place 2]"
    # the order the caller lists them in does not matter
    assert assign_replacements(list(reversed(before))) == first


def test_manual_replacement_wins_in_every_strategy_and_leaves_other_tags_alone():
    entities = [
        EntityInfo(1, "PERSON", "Jodie Mensah", manual="Mum"),
        EntityInfo(2, "PERSON", "Lee Turner", role="Partner"),
        EntityInfo(3, "DATE", "12 March 2018", manual="[date of birth]"),
        EntityInfo(4, "POSTCODE", "TF1 5QP", manual="  Telford area "),
        EntityInfo(5, "PERSON", "Anita Shah"),
    ]
    for strategy in STRATEGIES:
        result = assign_replacements(entities, strategy=strategy, seed="s")
        assert result[1] == "Mum"
        assert result[3] == "[date of birth]"
        assert result[4] == "Telford area"
    tags = assign_replacements(entities)
    # Anita keeps the number she had before anyone typed anything.
    assert tags[5] == "[Person 3]" == assign_replacements([EntityInfo(5, "PERSON", "Anita Shah"),
                                                          *people("Jodie Mensah", "Lee Turner")])[5]


def test_automatic_tags_skip_a_tag_the_researcher_typed():
    entities = [EntityInfo(1, "PERSON", "Jodie Mensah"), EntityInfo(2, "PERSON", "Lee Turner"),
                EntityInfo(3, "PERSON", "Anita Shah", manual="[Person 1]")]
    assert assign_replacements(entities) == {1: "[Person 2]", 2: "[Person 3]", 3: "[Person 1]"}


def test_unknown_strategy_or_date_mode_is_refused():
    with pytest.raises(ValueError, match="strategy 'pseudonyms'"):
        assign_replacements([], strategy="pseudonyms")
    with pytest.raises(ValueError, match="date mode 'year'"):
        assign_replacements([], date_mode="year")
    with pytest.raises(ValueError, match="entity id 1 appears twice"):
        assign_replacements(people("Jodie") + people("Lee"))


# --- surrogate names ----------------------------------------------------------------


def test_surrogate_pools_are_disjoint_plain_names_and_free_of_the_cast():
    first = {n.casefold() for n in (*FEMALE_NAMES, *MALE_NAMES)}
    last = {n.casefold() for n in SURNAMES}
    assert len(first) == len(FEMALE_NAMES) + len(MALE_NAMES) and len(last) == len(SURNAMES)
    assert not first & last
    assert not (first | last) & CAST_WORDS
    assert not [n for n in (*FEMALE_NAMES, *MALE_NAMES, *SURNAMES) if is_ambiguous_name(n)]


def test_surrogates_keep_the_shape_of_the_name():
    entities = [
        *people("Jodie Mensah", "Priya", "Mensah"),
        EntityInfo(4, "PERSON", "Mrs Mensah"),
        EntityInfo(5, "PERSON", "Hughes, Carys"),
        EntityInfo(6, "PERSON", "Nana Pat"),
        EntityInfo(7, "PERSON", "DC Sarah Hale"),
        EntityInfo(8, "PERSON", "J. Mensah"),
    ]
    result = assign_replacements(entities, strategy="surrogates", seed="guid-1")
    name = r"[A-Z][a-z']+"
    assert re.fullmatch(rf"{name} {name}", result[1])
    assert re.fullmatch(name, result[2])
    assert re.fullmatch(name, result[3])
    assert re.fullmatch(rf"Mrs {name}", result[4])
    assert re.fullmatch(rf"{name}, {name}", result[5])
    assert re.fullmatch(rf"Nana {name}", result[6])
    assert re.fullmatch(rf"DC {name} {name}", result[7])
    assert re.fullmatch(rf"[A-Z]\. {name}", result[8])


def test_surrogates_are_consistent_across_a_family_and_unique_per_entity():
    entities = people("Jodie Mensah", "Kayden Mensah", "Mensah", "Jodie", "Stacey Williams",
                      "Grace Williams", "Williams", "Grace Bennett", "Jodie")
    result = assign_replacements(entities, strategy="surrogates", seed="guid-1")
    jodie_first, mensah = result[1].split()
    assert result[2].split()[1] == mensah  # the same real surname, the same surrogate one
    assert result[3] == mensah  # "Mensah" alone is the family name
    assert result[4] == jodie_first  # "Jodie" alone is the given name
    assert result[6].split()[1] == result[5].split()[1] == result[7]
    assert result[8].split()[0] == result[6].split()[0]  # Grace Bennett, Grace Williams
    # Entity 9 is a second, different Jodie (the researcher split them): she gets
    # a name of her own.
    assert result[9] != result[4] and re.fullmatch(r"[A-Z][a-z]+", result[9])
    assert len(set(result.values())) == len(entities)


def test_surrogates_are_unique_over_a_large_project():
    rng = random.Random(3)
    given = ["Anita", "Jodie", "Ben", "Priya", "Lee", "Kayden", "Ruby", "Grace", "Stacey", "Carys"]
    family = ["Shah", "Mensah", "Okafor", "Turner", "Williams", "Hughes", "Price", "Reid"]
    labels = [f"{rng.choice(given)} {rng.choice(family)}" for _ in range(60)] + given + family
    result = assign_replacements(people(*labels), strategy="surrogates", seed="big")
    values = list(result.values())
    assert len(set(values)) == len(values)
    assert all(not v.startswith("[") for v in values)


def test_surrogates_are_deterministic_from_the_seed():
    entities = people("Jodie Mensah", "Lee Turner", "Anita Shah", "Ben Okafor", "Priya")
    a = assign_replacements(entities, strategy="surrogates", seed="project-a")
    assert assign_replacements(list(reversed(entities)), strategy="surrogates", seed="project-a") == a
    b = assign_replacements(entities, strategy="surrogates", seed="project-b")
    assert a != b
    # adding a person later leaves everyone else's surrogate alone
    more = assign_replacements([*entities, *people("Mark Ellison", start=6)], strategy="surrogates",
                               seed="project-a")
    assert {k: more[k] for k in a} == a


def test_surrogates_never_use_a_real_name_a_nickname_or_a_near_spelling():
    real = [name for name in CAST if name not in ("Evans", "Dan", "Sophie", "Becky")]
    entities = people(*real)
    entities.append(EntityInfo(len(entities) + 1, "PLACE", "Ludlow"))
    forbidden = CAST_WORDS | {"ludlow"}
    for word in list(forbidden):
        forbidden |= {v.casefold() for v in nickname_variants(word)}
    for seed in ("a", "b", "c", "d"):
        result = assign_replacements(entities, strategy="surrogates", seed=seed)
        words = {w.casefold() for e in entities if e.category == "PERSON"
                 for w in re.findall(r"[A-Za-z']+", result[e.id]) if w not in ("Nana",)}
        assert not words & forbidden, seed
        close = [(w, r) for w in words for r in CAST_WORDS if fuzz.ratio(w, r) >= 80]
        assert not close, close


def test_surrogates_follow_the_gender_hint_and_other_categories_get_tags():
    entities = [
        EntityInfo(1, "PERSON", "Priya", gender="female"),
        EntityInfo(2, "PERSON", "Dev", gender="male"),
        EntityInfo(3, "PERSON", "Mrs Patience Mensah"),
        EntityInfo(4, "PLACE", "Ludlow"),
        EntityInfo(5, "ORG", "Oakfield Academy"),
        EntityInfo(6, "PHONE", "01743 555 0192"),
    ]
    for seed in ("1", "2", "3"):
        result = assign_replacements(entities, strategy="surrogates", seed=seed)
        assert result[1] in FEMALE_NAMES
        assert result[2] in MALE_NAMES
        assert result[3].split()[1] in FEMALE_NAMES  # the title says so
        assert (result[4], result[5], result[6]) == ("[Place 1]", "[School 1]", "[Phone 1]")


# --- role tags ----------------------------------------------------------------------


def test_roles_number_per_role_and_fall_back_to_tags():
    entities = [
        EntityInfo(1, "PERSON", "Anita Shah", role="Social worker"),
        EntityInfo(2, "PERSON", "Jodie Mensah", role="Parent"),
        EntityInfo(3, "PERSON", "Ben Okafor", role="social  worker"),
        EntityInfo(4, "PERSON", "Lee Turner"),
        EntityInfo(5, "PERSON", "Stacey Williams", role="Parent"),
        EntityInfo(6, "PLACE", "Ludlow"),
    ]
    assert assign_replacements(entities, strategy="roles") == {
        1: "[Social worker 1]",
        2: "[Parent 1]",
        3: "[Social worker 2]",
        4: "[Person 4]",  # the number it has under "tags": it never changes
        5: "[Parent 2]",
        6: "[Place 1]",
    }


# --- dates and postcodes ------------------------------------------------------------

DATES = {
    "12 March 2018": "27 May 2018",
    "Monday 12th of March, 2018": "Sunday 27th of May, 2018",
    "12 Mar 2018": "27 May 2018",
    "March 12, 2018": "May 27, 2018",
    "12/03/2018": "27/05/2018",
    "05.03.18": "20.05.18",
    "2018-03-12": "2018-05-27",
    "12 March": "27 May",
    "Tues 3 Sept 2019": "Mon 18 Nov 2019",
    "Sat 1 Sept 2018": "Fri 16 Nov 2018",
    "1 Jul 2019": "15 Sep 2019",
    "18/06/2025": "02/09/2025",
    "the 1st of June 2020": "the 16th of August 2020",
}


def test_date_shift_keeps_each_format_and_moves_every_date_by_the_same_days():
    entities = [EntityInfo(i, "DATE", label) for i, label in enumerate(DATES, 1)]
    result = assign_replacements(entities, date_shift_days=76)
    assert [result[i] for i in range(1, len(DATES) + 1)] == list(DATES.values())


def test_a_derived_date_shift_is_one_offset_for_the_project():
    shift = date_shift_for("guid-1")
    assert 30 <= abs(shift) <= 180 and shift == date_shift_for("guid-1")
    assert len({date_shift_for(str(i)) for i in range(40)}) > 10
    entities = [EntityInfo(1, "DATE", "12/03/2018"), EntityInfo(2, "DATE", "18/06/2025"),
                EntityInfo(3, "DATE", "1 January 2020")]
    result = assign_replacements(entities, seed="guid-1")
    moved = [dt.datetime.strptime(result[1], "%d/%m/%Y") - dt.datetime(2018, 3, 12),
             dt.datetime.strptime(result[2], "%d/%m/%Y") - dt.datetime(2025, 6, 18),
             dt.datetime.strptime(result[3], "%d %B %Y") - dt.datetime(2020, 1, 1)]
    assert moved == [dt.timedelta(days=shift)] * 3


def test_month_mode_keeps_month_and_year():
    entities = [EntityInfo(1, "DATE", "12 March 2018"), EntityInfo(2, "DATE", "18/06/2025"),
                EntityInfo(3, "DATE", "12 March"), EntityInfo(4, "DATE", "Friday 3rd May 2024")]
    assert assign_replacements(entities, date_mode="month") == {
        1: "March 2018", 2: "June 2025", 3: "March", 4: "May 2024"}


def test_a_date_that_cannot_be_read_becomes_a_tag():
    entities = [EntityInfo(1, "DATE", "12 March 2018"), EntityInfo(2, "DATE", "the week after Easter"),
                EntityInfo(3, "DATE", "31/02/2020")]
    assert assign_replacements(entities, date_shift_days=10) == {
        1: "22 March 2018", 2: "[Date 1]", 3: "[Date 2]"}
    assert assign_replacements(entities, date_mode="tag") == {1: "[Date 1]", 2: "[Date 2]", 3: "[Date 3]"}


def test_postcodes_are_cut_to_the_district():
    entities = [EntityInfo(1, "POSTCODE", "TF1 5QP"), EntityInfo(2, "POSTCODE", "SY8 1AB"),
                EntityInfo(3, "POSTCODE", "sy12nz"), EntityInfo(4, "POSTCODE", "SW1A 1AA"),
                EntityInfo(5, "POSTCODE", "not a postcode")]
    assert assign_replacements(entities) == {1: "TF1", 2: "SY8", 3: "SY1", 4: "SW1A", 5: "[Postcode 1]"}


# --- the pseudonymised view ---------------------------------------------------------

TRANSCRIPT = (
    "Interviewer: How is the family?\n"
    "Anita: Jodie said she was tired. Jodie's mum, Nana Pat, helps with Kayden.\n"
)


def mentions(text: str, form: str, replacement: str) -> list[Replacement]:
    return [Replacement(m.start(), m.end(), replacement) for m in re.finditer(re.escape(form), text)]


def transcript_view() -> tuple[str, OffsetMap]:
    reps = (mentions(TRANSCRIPT, "Jodie", "[Person 1]") + mentions(TRANSCRIPT, "Anita", "[Person 2]")
            + mentions(TRANSCRIPT, "Nana Pat", "[Person 3]") + mentions(TRANSCRIPT, "Kayden", "[Person 4]"))
    return render(TRANSCRIPT, reps)


def test_a_coding_covers_the_same_words_in_the_view():
    view, offsets = transcript_view()
    assert view == (
        "Interviewer: How is the family?\n"
        "[Person 2]: [Person 1] said she was tired. [Person 1]'s mum, [Person 3], helps with [Person 4].\n"
    )
    start = TRANSCRIPT.index("Jodie said")
    end = start + len("Jodie said she was tired")
    v_start, v_end = offsets.range_to_view(start, end)
    assert view[v_start:v_end] == "[Person 1] said she was tired"
    s = TRANSCRIPT.index("helps")
    v_start, v_end = offsets.range_to_view(s, s + len("helps with Kayden."))
    assert view[v_start:v_end] == "helps with [Person 4]."
    s = TRANSCRIPT.index("How")
    assert view[slice(*offsets.range_to_view(s, s + 3))] == "How"


def test_a_coding_that_starts_or_ends_inside_a_mention_covers_the_whole_replacement():
    view, offsets = transcript_view()
    start = TRANSCRIPT.index("die said")  # starts inside "Jodie"
    assert view[slice(*offsets.range_to_view(start, start + len("die said")))] == "[Person 1] said"
    pat = TRANSCRIPT.index("Nana Pat")
    assert view[slice(*offsets.range_to_view(pat - len("mum, "), pat + 4))] == "mum, [Person 3]"
    assert view[slice(*offsets.range_to_view(pat + 1, pat + 3))] == "[Person 3]"
    assert offsets.to_view(pat + 2, side="left") == view.index("[Person 3]")
    assert offsets.to_view(pat + 2, side="right") == view.index("[Person 3]") + len("[Person 3]")


def test_offsets_round_trip_between_original_and_view():
    view, offsets = transcript_view()
    inside = {i for r in offsets.replacements for i in range(r.start + 1, r.end)}
    for o in range(len(TRANSCRIPT) + 1):
        if o not in inside:
            assert offsets.to_original(offsets.to_view(o)) == o
    view_inside = set()
    for r in offsets.replacements:
        s = offsets.to_view(r.start)
        view_inside.update(range(s + 1, s + len(r.text)))
    for v in range(len(view) + 1):
        if v not in view_inside:
            for side in ("left", "right"):
                assert offsets.to_view(offsets.to_original(v, side=side)) == v
    # a position inside "[Person 3]" in the view stands for the whole of "Nana Pat"
    v = view.index("[Person 3]") + 4
    pat = TRANSCRIPT.index("Nana Pat")
    assert (offsets.to_original(v), offsets.to_original(v, side="right")) == (pat, pat + len("Nana Pat"))
    assert offsets.range_to_original(v, v + 1) == (pat, pat + len("Nana Pat"))
    assert offsets.view_length == len(view) and offsets.original_length == len(TRANSCRIPT)


def test_overlapping_replacements_keep_the_longer_then_the_earlier():
    text = "Mrs Patience Mensah met Jodie Mensah."
    reps = [
        Replacement(13, 19, "[Mensah]"),  # inside the longer one below: dropped
        Replacement(4, 19, "[Person 5]"),  # "Patience Mensah"
        Replacement(24, 29, "[Person 1]"),  # "Jodie"
        Replacement(26, 36, "[xx]"),  # longer than "Jodie" and overlapping it: wins
        Replacement(30, 36, "[later]"),  # overlaps the winner: dropped
        Replacement(0, 3, "[A]"),
        Replacement(1, 4, "[B]"),  # same length as "[A]", later: dropped
    ]
    assert resolve_overlaps(reps) == [Replacement(0, 3, "[A]"), Replacement(4, 19, "[Person 5]"),
                                      Replacement(26, 36, "[xx]")]
    view, offsets = render(text, reps)
    assert view == "[A] [Person 5] met Jo[xx]."
    assert offsets.to_view(len(text)) == len(view)


def test_capitals_are_kept_and_a_possessive_stays_outside_the_mention():
    text = "JODIE: I'm fine.\nAnita: Jodie's fine. Call TF1 5QP or NMC-2025-04417."
    postcode, reference = text.index("TF1 5QP"), text.index("NMC")
    reps = [Replacement(0, 5, "Helen"), Replacement(24, 29, "Helen"),
            Replacement(postcode, postcode + 7, "TF1"), Replacement(reference, reference + 14, "[Reference 1]")]
    view, _ = render(text, reps)
    assert view == "HELEN: I'm fine.\nAnita: Helen's fine. Call TF1 or [Reference 1]."
    view, _ = render(text, [Replacement(0, 5, "[Person 1]")])
    assert view.startswith("[PERSON 1]: I'm fine.")
    view, _ = render(text, [Replacement(0, 5, "[Person 1]")], match_case=False)
    assert view.startswith("[Person 1]: I'm fine.")


def test_a_deleted_mention_has_a_left_and_a_right_side():
    text = "a Jodie b"
    view, offsets = render(text, [Replacement(2, 8, "")])
    assert view == "a b"
    assert (offsets.to_original(2), offsets.to_original(2, side="right")) == (2, 8)
    assert offsets.range_to_view(2, 8) == (2, 2)


def test_bad_replacements_and_offsets_are_refused():
    with pytest.raises(ValueError, match="does not fit a text of 5 characters"):
        render("Jodie", [Replacement(3, 9, "x")])
    with pytest.raises(ValueError, match="does not fit"):
        render("Jodie", [Replacement(3, 3, "x")])
    _, offsets = render("Jodie", [Replacement(0, 5, "[Person 1]")])
    with pytest.raises(ValueError, match="outside the original text"):
        offsets.to_view(6)
    with pytest.raises(ValueError, match="side must be"):
        offsets.to_view(1, side="middle")
    with pytest.raises(ValueError, match="after its end"):
        offsets.range_to_view(3, 1)


def test_no_replacements_is_the_identity():
    view, offsets = render("Nothing to hide.", [])
    assert view == "Nothing to hide."
    assert [offsets.to_view(i) for i in range(17)] == list(range(17))
    assert [offsets.to_original(i, side="right") for i in range(17)] == list(range(17))


@pytest.mark.parametrize("seed", range(40))
def test_untouched_characters_map_to_the_same_characters(seed):
    rng = random.Random(seed)
    n = rng.randint(0, 400)
    text = "".join(rng.choice("abcde XYZ\n'é") for _ in range(n))
    # random non-overlapping replacements, some empty, some longer than the mention
    reps, pos = [], 0
    while n and pos < n - 1 and len(reps) < 40:
        start = rng.randint(pos, n - 1)
        end = rng.randint(start + 1, min(n, start + 12))
        reps.append(Replacement(start, end, "".join(rng.choice("[]0123") for _ in range(rng.randint(0, 15)))))
        pos = end + rng.randint(0, 5)
    rng.shuffle(reps)
    view, offsets = render(text, reps, match_case=False)
    covered = [False] * n
    for r in reps:
        covered[r.start:r.end] = [True] * (r.end - r.start)
    assert len(view) == n + sum(len(r.text) - (r.end - r.start) for r in reps) == offsets.view_length
    for i in range(n):
        if not covered[i]:
            v = offsets.to_view(i)
            assert view[v] == text[i]
            assert offsets.to_view(i + 1) == v + 1
            assert offsets.to_original(v, side="right") == i
            # left is the earliest original offset with this image: before a
            # deleted mention that ends here, if there is one
            assert offsets.to_view(offsets.to_original(v)) == v
    for r in reps:
        s, e = offsets.range_to_view(r.start, r.end)
        assert view[s:e] == r.text
        # any range touching the mention covers the whole replacement
        inner = rng.randint(r.start, r.end - 1)
        s2, e2 = offsets.range_to_view(inner, inner + 1)
        assert s2 <= s and e2 >= e
    # mapping is monotone
    mapped = [offsets.to_view(i) for i in range(n + 1)]
    assert mapped == sorted(mapped) and mapped[-1] == len(view)
