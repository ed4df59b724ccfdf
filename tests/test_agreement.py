"""Intercoder agreement: figures counted by hand, and alpha checked against the
krippendorff package on the same reliability data."""

from __future__ import annotations

import random

import krippendorff
import numpy as np
import pytest

from conftest import write
from fieldnotes.analysis.agreement import (
    Counts,
    agreement,
    cohen_kappa,
    count,
    krippendorff_alpha,
    percent_agreement,
    to_units,
)
from fieldnotes.errors import FieldnotesError
from fieldnotes.passages import segments

# 100 characters: "aaaa…" so that offsets are easy to count by hand.
TEXT = "The caseload is heavy. Supervision is monthly.\n\nWe have no time for direct work at all, none."


@pytest.fixture
def team(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "t.txt", TEXT)])
    project.codebook.add_code("Caseload")
    project.codebook.add_code("Supervision")
    return project


def ratings(counts_matrix):
    """Reliability data (coders x units) -> the krippendorff package's alpha."""
    return krippendorff.alpha(reliability_data=np.array(counts_matrix, dtype=float),
                              level_of_measurement="nominal")


def test_perfect_agreement(team):
    for coder in ("anna", "ben"):
        team.coding.apply_coding("t", "Caseload", 4, 21, coder=coder)
    result = agreement(team, unit="character")
    row = result.rows[0]
    assert row.counts.by_coders == (len(TEXT) - 17, 0, 17)
    assert row.percent == 100.0
    assert row.kappa == pytest.approx(1.0)
    assert row.alpha == pytest.approx(1.0)


def test_no_overlap_counted_by_hand(team):
    # anna codes 0-10, ben codes 10-30: no character in common.
    team.coding.apply_coding("t", "Caseload", 0, 10, coder="anna")
    team.coding.apply_coding("t", "Caseload", 10, 30, coder="ben")
    row = agreement(team, unit="character").rows[0]
    n = len(TEXT)
    assert row.counts == Counts(2, (n - 30, 30, 0), (10, 20))
    assert row.percent == pytest.approx(100 * (n - 30) / n)
    p_a, p_b = 10 / n, 20 / n
    p_e = p_a * p_b + (1 - p_a) * (1 - p_b)
    p_o = (n - 30) / n
    assert row.kappa == pytest.approx((p_o - p_e) / (1 - p_e))
    assert row.kappa < 0  # worse than chance: they never agree on a coded character
    data = [[1 if 0 <= i < 10 else 0 for i in range(n)], [1 if 10 <= i < 30 else 0 for i in range(n)]]
    assert row.alpha == pytest.approx(ratings(data))


def test_one_coder_codes_nothing_of_a_code(team):
    team.coding.apply_coding("t", "Caseload", 4, 21, coder="anna")
    team.coding.apply_coding("t", "Supervision", 23, 46, coder="ben")   # ben coded the document, not Caseload
    rows = {r.code: r for r in agreement(team, unit="character").rows}
    caseload = rows["Caseload"]
    assert caseload.counts.per_coder == (17, 0)
    # Chance agreement is not 1 (anna coded something), so kappa is defined: 0.
    assert caseload.kappa == pytest.approx(0.0)
    n = len(TEXT)
    data = [[1 if 4 <= i < 21 else 0 for i in range(n)], [0] * n]
    assert caseload.alpha == pytest.approx(ratings(data))


def test_overlapping_codings_by_one_coder_count_once(team):
    team.coding.apply_coding("t", "Caseload", 0, 15, coder="anna")
    team.coding.apply_coding("t", "Caseload", 10, 21, coder="anna")      # overlaps her own first coding
    team.coding.apply_coding("t", "Caseload", 0, 21, coder="ben")
    row = agreement(team, unit="character").rows[0]
    assert row.counts.per_coder == (21, 21)
    assert row.percent == 100.0


def test_nobody_varies_kappa_and_alpha_undefined():
    counts = Counts(2, (50, 0, 0), (0, 0))
    assert percent_agreement(counts) == 100.0
    assert cohen_kappa(counts) is None
    assert krippendorff_alpha(counts) is None


def test_word_units_by_hand(team):
    words = segments(TEXT, "word")
    assert [TEXT[s:e] for s, e in words[:4]] == ["The", "caseload", "is", "heavy"]
    # anna: "caseload is" (words 1-2); ben: "is heavy" by a partial drag (words 2-3).
    team.coding.apply_coding("t", "Caseload", TEXT.index("caseload"), TEXT.index(" heavy"), coder="anna")
    team.coding.apply_coding("t", "Caseload", TEXT.index("s heavy"), TEXT.index("heavy") + 2, coder="ben")
    row = agreement(team, unit="word").rows[0]
    total = len(words)
    assert row.counts == Counts(2, (total - 3, 2, 1), (2, 2))


def test_sentence_and_paragraph_units(team):
    sentences = segments(TEXT, "sentence")
    assert [TEXT[s:e] for s, e in sentences] == [
        "The caseload is heavy.", "Supervision is monthly.", "We have no time for direct work at all, none."]
    paragraphs = segments(TEXT, "paragraph")
    assert len(paragraphs) == 2
    team.coding.apply_coding("t", "Caseload", 0, 3, coder="anna")     # "The": sentence 1
    team.coding.apply_coding("t", "Caseload", 30, 35, coder="ben")    # inside sentence 2
    sentence_row = agreement(team, unit="sentence").rows[0]
    assert sentence_row.counts == Counts(2, (1, 2, 0), (1, 1))
    paragraph_row = agreement(team, unit="paragraph").rows[0]
    assert paragraph_row.counts == Counts(2, (1, 0, 1), (1, 1))
    assert paragraph_row.percent == 100.0


def test_alpha_three_coders_matches_package():
    rng = random.Random(7)
    units = 300
    coded = []
    matrix = []
    for _ in range(3):
        intervals = []
        row = [0] * units
        for _ in range(12):
            start = rng.randrange(units)
            end = min(units, start + rng.randrange(1, 30))
            intervals.append((start, end))
            for i in range(start, end):
                row[i] = 1
        from fieldnotes.analysis.agreement import merge

        coded.append(merge(intervals))
        matrix.append(row)
    counts = count(coded, units)
    assert counts.per_coder == tuple(sum(r) for r in matrix)
    assert krippendorff_alpha(counts) == pytest.approx(ratings(matrix))


def test_to_units_needs_a_character_of_overlap():
    units = [(0, 3), (4, 8), (9, 12)]
    assert to_units([(3, 4)], units) == []          # the space between two words only
    assert to_units([(2, 5)], units) == [(0, 2)]
    assert to_units([(8, 12)], units) == [(2, 3)]


def test_documents_not_coded_by_every_coder_are_left_out(team, tmp_path):
    team.intake.import_paths([write(tmp_path / "u.txt", "Only anna has read this one so far.")])
    team.coding.apply_coding("t", "Caseload", 4, 21, coder="anna")
    team.coding.apply_coding("t", "Caseload", 4, 21, coder="ben")
    team.coding.apply_coding("u", "Caseload", 0, 4, coder="anna")
    result = agreement(team)
    assert result.documents == ["t.txt"] and result.skipped == ["u.txt"]
    assert result.rows[0].percent == 100.0
    everything = agreement(team, all_documents=True)
    assert everything.documents == ["t.txt", "u.txt"]
    assert everything.rows[0].percent < 100.0


def test_needs_two_coders(team):
    team.coding.apply_coding("t", "Caseload", 4, 21, coder="anna")
    with pytest.raises(FieldnotesError, match="at least two coders"):
        agreement(team)
    with pytest.raises(FieldnotesError, match="No codings by a coder called 'zoe'"):
        agreement(team, coders=["anna", "zoe"])


def test_overall_pools_codes_and_table_has_counts(team):
    team.coding.apply_coding("t", "Caseload", 4, 21, coder="anna")
    team.coding.apply_coding("t", "Caseload", 4, 21, coder="ben")
    team.coding.apply_coding("t", "Supervision", 23, 46, coder="anna")
    result = agreement(team, unit="word", by_document=True)
    pooled = result.overall.counts
    per_code = [r.counts for r in result.rows if r.document is None]
    assert pooled.units == sum(c.units for c in per_code)
    table = result.table()
    assert table.columns[:5] == ["Document", "Units", "Both coded", "One only", "Neither"]
    assert table.rows[-1].label == "(all codes)"
    assert any("Landis & Koch" in note for note in table.notes)


def test_agreement_outputs_are_pseudonymised_unless_original(_sample_build, tmp_path, nlp):
    """Found checking issue 13: 'agreement -o' wrote code and document names
    as recorded, while every other output is pseudonymised by default."""
    import shutil

    from click.testing import CliRunner

    from fieldnotes.cli import load_commands
    from fieldnotes.project import Project

    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        proj.pseudonyms.detect_entities(nlp=nlp)
        proj.codebook.add_code("Anita Shah story")   # a code named after a participant
        start, end = proj.coding.find_text("p1_int_sw01.txt", "So I'm Anita, Anita Shah")
        for coder, shift in (("anna", 0), ("ben", 3)):
            proj.coding.apply_coding("p1_int_sw01.txt", "Anita Shah story", start + shift, end, coder=coder)
    cli = load_commands()

    def run(*args):
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    for suffix in ("csv", "md"):
        out = tmp_path / f"agreement.{suffix}"
        run("agreement", path, "--coders", "anna,ben", "--by-document", "-o", out)
        assert "Anita" not in out.read_text(encoding="utf-8-sig") and "story" in out.read_text(encoding="utf-8-sig")
    assert "Anita" not in run("agreement", path, "--coders", "anna,ben")
    assert "Anita" not in run("agreement", path, "--coders", "anna,ben", "--json")
    original = tmp_path / "original.csv"
    run("agreement", path, "--coders", "anna,ben", "--original", "-o", original)
    assert "Anita Shah story" in original.read_text(encoding="utf-8-sig")
    assert oct(original.stat().st_mode & 0o777) == "0o600"
