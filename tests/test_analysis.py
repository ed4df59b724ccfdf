"""Theme matrices, co-occurrence and framework matrices, checked against small
projects whose numbers are counted by hand.

The hand-counted project (built through the real API: files, a manifest,
codes, codings by two coders, memos)::

    document  case    phase  role     team     passages (code: text)
    a.txt     C1      1      SW       Team 2   R1 "The caseload is heavy."      Caseload (tester), Time (tester),
                                                                                Caseload (bob)
                                               R4 "The caseload is heavy. I have no time"   Workload (the parent itself)
                                               R3 "I have no time for direct work."        Time
                                               R5 "My manager helps."                      Manager (+ a memo)
                                               R6 "Reflection happens in supervision."     Reflection (bob)
    b.txt     C2      2      SW       Team 10  "My manager is good."        Manager (tester), Reflection (bob)
                                               "The caseload is fine."      Caseload
    c.txt     C1;C3   2      Manager  Team 2   "Our caseload is rising."    Caseload
                                               "Reflection is rare."        Reflection
    d.txt     -       3      SW       Team 10  (nothing coded)
    e.txt     C2      -      SW       Team 2   "The caseload board was full."  Caseload  (an observation, no turns)

Codebook: Workload (Caseload, Time), Support (Manager, Reflection).

Distinct passages per code and document (a sub-tree's passages, each once):

    code        a  b  c  d  e
    Workload    3  1  1  0  1   (a: R1, R3, R4; R1 carries Caseload and Time but counts once)
    Caseload    1  1  1  0  1   (a: R1 coded by two coders counts once)
    Time        2  0  0  0  0
    Support     2  1  1  0  0   (b: Manager and Reflection on one range count once)
    Manager     1  1  0  0  0
    Reflection  1  1  1  0  0
    any code    5  2  2  0  1   = 10
"""

from __future__ import annotations

import random

import pytest

from conftest import write
from fieldnotes.analysis.cooccurrence import cooccurrence
from fieldnotes.analysis.framework import framework_matrix, shorten
from fieldnotes.analysis.matrix import code_matrix
from fieldnotes.analysis.table import RowHeader
from fieldnotes.errors import FieldnotesError, NotFound
from fieldnotes.project import Project

A = ("Interviewer: How is work?\n\nSW: The caseload is heavy. I have no time for direct work.\n\n"
     "My manager helps.\n\nInterviewer: Anything else?\n\nSW: Reflection happens in supervision.\n")
B = ("Interviewer: Tell me about support.\n\nSW: My manager is good. The caseload is fine.\n\n"
     "Interviewer: Thanks.\n\nSW: That is all.\n")
C = ("Interviewer: What about the team?\n\nMGR: Our caseload is rising. Reflection is rare.\n\n"
     "Interviewer: Thanks.\n\nMGR: Bye.\n")
D = "Interviewer: Hello.\n\nSW: Nothing to say.\n\nInterviewer: Thanks.\n\nSW: Bye.\n"
E = "Observation notes. The caseload board was full.\n"
MANIFEST = (
    "file,kind,case,phase,role,team\n"
    "a.txt,interview,C1,1,SW,Team 2\n"
    "b.txt,interview,C2,2,SW,Team 10\n"
    "c.txt,interview,C1;C3,2,Manager,Team 2\n"
    "d.txt,interview,,3,SW,Team 10\n"
    "e.txt,observation,C2,,SW,Team 2\n"
)
CODES = ["Workload", "Caseload", "Time", "Support", "Manager", "Reflection"]


def code(project, document, quoted, code_path, coder=None):
    start, end = project.coding.find_text(document, quoted)
    coding, new = project.coding.apply_coding(document, code_path, start, end, coder=coder)
    assert new
    return coding


@pytest.fixture
def study(tmp_path):
    folder = tmp_path / "in"
    for name, text in (("a.txt", A), ("b.txt", B), ("c.txt", C), ("d.txt", D), ("e.txt", E)):
        write(folder / name, text)
    write(tmp_path / "manifest.csv", MANIFEST)
    with Project.create(tmp_path / "study.fnp") as project:
        report = project.intake.import_paths([folder], manifest=tmp_path / "manifest.csv")
        assert not report.failed
        for path in ("Workload/Caseload", "Workload/Time", "Support/Manager", "Support/Reflection"):
            project.codebook.add_code(path)
        code(project, "a.txt", "The caseload is heavy.", "Caseload")
        code(project, "a.txt", "The caseload is heavy.", "Time")
        code(project, "a.txt", "The caseload is heavy.", "Caseload", coder="bob")
        code(project, "a.txt", "The caseload is heavy. I have no time", "Workload")
        code(project, "a.txt", "I have no time for direct work.", "Time")
        manager = code(project, "a.txt", "My manager helps.", "Manager")
        code(project, "a.txt", "Reflection happens in supervision.", "Reflection", coder="bob")
        code(project, "b.txt", "My manager is good.", "Manager")
        code(project, "b.txt", "My manager is good.", "Reflection", coder="bob")
        code(project, "b.txt", "The caseload is fine.", "Caseload")
        code(project, "c.txt", "Our caseload is rising.", "Caseload")
        code(project, "c.txt", "Reflection is rare.", "Reflection")
        code(project, "e.txt", "The caseload board was full.", "Caseload")
        project.memos.add("coding", manager.id, "Manager named as key support")
        project.memos.add("case", "C1", "Seen twice, in phases 1 and 2")
        yield project


def by_code(table):
    return {h.label: row for h, row in zip(table.rows, table.values)}


def totals(table):
    return {h.label: t for h, t in zip(table.rows, table.row_totals)}


# -- code_matrix -------------------------------------------------------------------------


def test_rows_are_the_tree_with_depths(study):
    table = code_matrix(study)
    assert table.rows == [
        RowHeader("Workload", "Workload", 0), RowHeader("Caseload", "Workload/Caseload", 1),
        RowHeader("Time", "Workload/Time", 1), RowHeader("Support", "Support", 0),
        RowHeader("Manager", "Support/Manager", 1), RowHeader("Reflection", "Support/Reflection", 1),
    ]
    assert table.corner == "Code" and table.measure == "passages" and not table.percent


def test_passages_by_document_roll_up_each_passage_once(study):
    table = code_matrix(study, cols="documents")
    assert table.title == "Passages by document"
    assert table.columns == ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"]
    assert by_code(table) == {
        "Workload": [3, 1, 1, 0, 1],
        "Caseload": [1, 1, 1, 0, 1],
        "Time": [2, 0, 0, 0, 0],
        "Support": [2, 1, 1, 0, 0],
        "Manager": [1, 1, 0, 0, 0],
        "Reflection": [1, 1, 1, 0, 0],
    }
    assert totals(table) == {"Workload": 6, "Caseload": 4, "Time": 2, "Support": 4, "Manager": 2, "Reflection": 3}
    assert table.column_totals == [5, 2, 2, 0, 1]
    assert table.total == 10


def test_passages_by_attribute_keep_empty_values_and_show_missing_ones(study):
    table = code_matrix(study, cols="attr:phase")
    assert table.title == "Passages by phase"
    assert table.columns == ["1", "2", "3", "(none)"]   # phase 3 has nothing coded; e.txt has no phase
    assert by_code(table) == {
        "Workload": [3, 2, 0, 1],
        "Caseload": [1, 2, 0, 1],
        "Time": [2, 0, 0, 0],
        "Support": [2, 2, 0, 0],
        "Manager": [1, 1, 0, 0],
        "Reflection": [1, 2, 0, 0],
    }
    assert table.column_totals == [5, 4, 0, 1]
    assert table.total == 10
    assert any("(none)" in note for note in table.notes)


def test_text_attribute_values_sort_naturally(study):
    table = code_matrix(study, cols="attr:team")
    assert table.columns == ["Team 2", "Team 10"]
    assert by_code(table)["Workload"] == [5, 1]    # a 3 + c 1 + e 1 | b 1
    assert table.column_totals == [8, 2]


def test_cross_of_two_attributes_keeps_only_combinations_that_occur(study):
    table = code_matrix(study, cols="attr:phase,attr:role")
    assert table.columns == [
        "phase=1 · role=SW", "phase=2 · role=Manager", "phase=2 · role=SW", "phase=3 · role=SW",
        "phase=(none) · role=SW",
    ]
    assert by_code(table)["Workload"] == [3, 1, 1, 0, 1]
    assert table.column_totals == [5, 2, 2, 0, 1]


def test_cross_of_two_attributes_with_all_combinations(study):
    table = code_matrix(study, cols="attr:phase,attr:role", all_combinations=True)
    assert table.title == "Passages by phase and role"
    assert table.columns == [
        "phase=1 · role=Manager", "phase=1 · role=SW", "phase=2 · role=Manager", "phase=2 · role=SW",
        "phase=3 · role=Manager", "phase=3 · role=SW", "phase=(none) · role=SW",
    ]
    assert by_code(table)["Workload"] == [0, 3, 1, 1, 0, 0, 1]
    assert by_code(table)["Reflection"] == [0, 1, 1, 1, 0, 0, 0]
    assert table.column_totals == [0, 5, 2, 2, 0, 0, 1]
    assert totals(table)["Workload"] == 6


def test_cases_columns_and_distinct_row_totals(study):
    table = code_matrix(study, cols="cases")
    assert table.columns == ["C1", "C2", "C3", "(no case)"]   # d.txt belongs to no case
    # C1 = a + c, C2 = b + e, C3 = c: c.txt counts in C1 and C3, once in the total.
    assert by_code(table)["Workload"] == [4, 2, 1, 0]
    assert totals(table)["Workload"] == 6
    assert by_code(table)["Reflection"] == [2, 1, 1, 0]
    assert totals(table)["Reflection"] == 3
    assert table.column_totals == [7, 3, 2, 0]
    assert table.total == 10


def test_documents_measure_and_percentages(study):
    table = code_matrix(study, cols="attr:phase", measure="documents")
    assert table.title == "Documents by phase"
    assert by_code(table) == {
        "Workload": [1, 2, 0, 1], "Caseload": [1, 2, 0, 1], "Time": [1, 0, 0, 0],
        "Support": [1, 2, 0, 0], "Manager": [1, 1, 0, 0], "Reflection": [1, 2, 0, 0],
    }
    assert table.column_totals == [1, 2, 1, 1]   # every document in the column, coded or not
    assert table.total == 5
    assert totals(table)["Workload"] == 4
    share = code_matrix(study, cols="attr:phase", measure="documents", percent=True)
    assert share.percent and share.title == "Documents by phase (% of column)"
    assert by_code(share)["Workload"] == [100.0, 100.0, 0.0, 100.0]
    assert by_code(share)["Manager"] == [100.0, 50.0, 0.0, 0.0]
    assert totals(share)["Workload"] == 80.0     # 4 of 5 documents
    assert share.column_totals is None and share.total is None
    assert any("share of the documents in the column" in note for note in share.notes)
    assert any(note.startswith("Bases (documents): 1: 1; 2: 2; 3: 1; (none): 1; all: 5") for note in share.notes)


def test_passage_percentages_are_shares_of_the_columns_coded_passages(study):
    table = code_matrix(study, cols="attr:phase", percent=True)
    assert by_code(table)["Workload"] == [60.0, 50.0, 0.0, 100.0]    # 3/5, 2/4, -, 1/1
    assert by_code(table)["Reflection"] == [20.0, 50.0, 0.0, 0.0]    # 1/5, 2/4
    assert totals(table)["Workload"] == 60.0                          # 6/10
    assert any("share of all coded passages in the column" in note for note in table.notes)


def test_cases_measure(study):
    table = code_matrix(study, cols="attr:phase", measure="cases")
    # phase 1: a (C1); phase 2: b (C2), c (C1, C3); phase 3: d (no case); none: e (C2)
    assert by_code(table)["Workload"] == [1, 3, 0, 1]
    assert by_code(table)["Time"] == [1, 0, 0, 0]
    assert by_code(table)["Manager"] == [1, 1, 0, 0]
    assert totals(table) == {"Workload": 3, "Caseload": 3, "Time": 1, "Support": 3, "Manager": 2, "Reflection": 3}
    assert table.column_totals == [1, 3, 0, 1]
    assert table.total == 3
    share = code_matrix(study, cols="attr:phase", measure="cases", percent=True)
    assert by_code(share)["Manager"] == [100.0, 33.3, 0.0, 0.0]
    assert totals(share)["Manager"] == 66.7


def test_words_coded_count_overlapping_passages_once(study):
    table = code_matrix(study, cols="documents", measure="words")
    assert table.title == "Words coded by document"
    # a: "The caseload is heavy. I have no time for direct work." = 11 words under Workload;
    # Time: "The caseload is heavy." (4) + "I have no time for direct work." (7).
    assert by_code(table) == {
        "Workload": [11, 4, 4, 0, 5],
        "Caseload": [4, 4, 4, 0, 5],
        "Time": [11, 0, 0, 0, 0],
        "Support": [7, 4, 3, 0, 0],
        "Manager": [3, 4, 0, 0, 0],
        "Reflection": [4, 4, 3, 0, 0],
    }
    assert table.column_totals == [18, 8, 7, 0, 5]
    assert table.total == 38
    share = code_matrix(study, cols="attr:phase", measure="words", percent=True)
    assert by_code(share)["Workload"] == [61.1, 53.3, 0.0, 100.0]    # 11/18, 8/15, -, 5/5


def test_where_filter_keeps_every_attribute_value_as_a_column(study):
    table = code_matrix(study, cols="attr:phase", where=[("phase", "2")])
    assert table.columns == ["1", "2", "3"]      # e.txt (no phase) is filtered out
    assert by_code(table)["Workload"] == [0, 2, 0]
    assert table.total == 4
    assert "Filter: phase = 2" in table.notes
    by_role = code_matrix(study, cols="attr:role", where=[("phase", "2")], measure="documents")
    assert by_role.columns == ["Manager", "SW"]
    assert by_code(by_role)["Workload"] == [1, 1]
    assert by_role.column_totals == [1, 1]
    either = code_matrix(study, cols="documents", where=[("kind", "observation")])
    assert either.columns == ["e.txt"] and by_code(either)["Caseload"] == [1]


def test_coder_filter(study):
    table = code_matrix(study, cols="attr:phase", coder="bob")
    # bob coded R1 (Caseload) and R6 (Reflection) in a, and Reflection in b.
    assert by_code(table) == {
        "Workload": [1, 0, 0, 0], "Caseload": [1, 0, 0, 0], "Time": [0, 0, 0, 0],
        "Support": [1, 1, 0, 0], "Manager": [0, 0, 0, 0], "Reflection": [1, 1, 0, 0],
    }
    assert table.column_totals == [2, 1, 0, 0] and table.total == 3
    assert "Coder: bob only" in table.notes
    tester = code_matrix(study, cols="attr:phase", coder="tester")
    assert by_code(tester)["Caseload"] == [1, 2, 0, 1] and by_code(tester)["Reflection"] == [0, 1, 0, 0]


def test_chosen_codes_keep_their_roll_up(study):
    table = code_matrix(study, cols="attr:phase", codes=["Support", "Time"])
    assert [(h.label, h.depth) for h in table.rows] == [("Time", 0), ("Support", 0)]
    assert by_code(table) == {"Time": [2, 0, 0, 0], "Support": [2, 2, 0, 0]}
    assert table.column_totals == [5, 4, 0, 1]    # the base still covers every code


def test_bad_columns_measures_and_names_speak_to_the_researcher(study):
    with pytest.raises(FieldnotesError, match="Unknown measure 'passage'.*'passages'"):
        code_matrix(study, measure="passage")
    with pytest.raises(FieldnotesError, match="attr:phase"):
        code_matrix(study, cols="phase")
    with pytest.raises(NotFound, match="No attribute 'phse'. Did you mean 'phase'"):
        code_matrix(study, cols="attr:phse")
    with pytest.raises(FieldnotesError, match="at most two"):
        code_matrix(study, cols="attr:phase,attr:role,attr:team")
    with pytest.raises(NotFound, match="No attribute 'rol'"):
        code_matrix(study, where=[("rol", "SW")])
    with pytest.raises(NotFound, match="No coder 'bobby'.*bob"):
        code_matrix(study, coder="bobby")
    with pytest.raises(NotFound, match="No code 'Caseloads'"):
        code_matrix(study, codes=["Caseloads"])


def test_matrix_agrees_with_a_brute_force_count_on_a_deeper_tree(tmp_path):
    """Random codings by two coders on a three-level codebook, many on the same
    ranges: every measure against sets built from project.coding.codings()."""
    rng = random.Random(11)
    folder = tmp_path / "docs"
    for i in range(4):
        write(folder / f"d{i}.txt", " ".join(rng.choice(["care", "plan", "visit", "team", "child"]) for _ in range(120)))
    with Project.create(tmp_path / "r.fnp") as project:
        project.intake.import_paths([folder])
        for path in ("A/B/C", "A/B/D", "A/E", "F/G", "F/H"):
            project.codebook.add_code(path)
        docs = {d.name: (d.id, len(project.document(d.name).text)) for d in project.documents()}
        code_ids = [c.id for c in project.codebook.codes()]
        spans = {name: sorted({(s, s + rng.randint(1, 40)) for s in rng.sample(range(length - 41), 12)})
                 for name, (_, length) in docs.items()}
        for coder in ("ann", "bob"):
            items = {(doc_id, rng.choice(code_ids), *rng.choice(spans[name]))
                     for name, (doc_id, _) in docs.items() for _ in range(40)}
            project.coding.apply_codings(sorted(items), coder=coder)
        codings = project.coding.codings()
        texts = {name: project.document(name).text for name in docs}
        tree = project.codebook.codes()
        table = code_matrix(project, cols="documents")
        words = code_matrix(project, cols="documents", measure="words")
        present = code_matrix(project, cols="documents", measure="documents")
        import re

        for r, c in enumerate(tree):
            for k, name in enumerate(table.columns):
                mine = [x for x in codings if x.document == name and (x.code == c.path or x.code.startswith(c.path + "/"))]
                ranges = {(x.start, x.end) for x in mine}
                assert table.values[r][k] == len(ranges), (c.path, name)
                assert present.values[r][k] == (1 if ranges else 0)
                covered = set()
                for s, e in ranges:
                    covered.update(range(s, e))
                touched = sum(1 for m in re.finditer(r"\w+(?:['’]\w+)*", texts[name])
                              if covered.intersection(range(m.start(), m.end())))
                assert words.values[r][k] == touched, (c.path, name)
        assert table.total == len({(x.document, x.start, x.end) for x in codings})


def test_duplicate_finder_agrees_when_keys_do_not_fit_one_integer():
    import numpy as np

    from fieldnotes.analysis import matrix

    class Code:
        def __init__(self, id, parent_id, name):
            self.id, self.parent_id, self.name, self.path = id, parent_id, name, name

    tree = matrix.CodeTree([Code(1, None, "P"), Code(2, 1, "x"), Code(3, 1, "y"), Code(4, None, "Q")])
    d = np.array([0, 0, 0, 1, 1, 0], dtype=np.int64)
    c = np.array([1, 2, 3, 1, 2, 0], dtype=np.int64)
    small = np.array([5, 5, 5, 5, 5, 9], dtype=np.int64)
    end = np.array([9, 9, 9, 9, 9, 12], dtype=np.int64)
    fits = matrix._duplicates(np, tree, 2, d, c, small, end)
    huge = matrix._duplicates(np, tree, 2, d, c, small + (1 << 31), end + (1 << 31))  # falls back to lexsort
    assert (fits == huge).all()
    # document 0, passage 5-9 carries x and y (under P) and Q: one duplicate for P and for "any code" +1
    assert fits[0].tolist() == [1, 0, 0, 0, 2] and fits[1].tolist() == [1, 0, 0, 0, 1]


# -- co-occurrence -------------------------------------------------------------------------


def test_overlap_cooccurrence(study):
    table = cooccurrence(study)
    assert table.columns == CODES
    assert table.title == "Co-occurrence of codes: overlapping passages"
    rows = by_code(table)
    assert rows == {
        #             Workload Caseload Time Support Manager Reflection
        "Workload":   [6, 4, 2, 0, 0, 0],
        "Caseload":   [4, 4, 1, 0, 0, 0],
        "Time":       [2, 1, 2, 0, 0, 0],
        "Support":    [0, 0, 0, 4, 2, 3],
        "Manager":    [0, 0, 0, 2, 2, 1],
        "Reflection": [0, 0, 0, 3, 1, 3],
    }
    # Workload x Time = 2: in a.txt Time's two passages lie inside Workload's text as two stretches.


def test_turn_and_paragraph_cooccurrence(study):
    turns = by_code(cooccurrence(study, unit="turn", codes=["Caseload", "Manager", "Workload", "Support"]))
    # e.txt has no speaker turns: its Caseload passage is left out.
    assert turns == {
        "Workload": [5, 3, 3, 2],
        "Caseload": [3, 3, 3, 2],
        "Support": [3, 3, 4, 2],
        "Manager": [2, 2, 2, 2],
    }
    paragraphs = by_code(cooccurrence(study, unit="paragraph", codes=["Workload", "Caseload", "Support", "Manager"]))
    # "My manager helps." is its own paragraph in a.txt, inside the SW turn.
    assert paragraphs["Caseload"] == [4, 4, 2, 1]
    assert paragraphs["Workload"] == [6, 4, 2, 1]
    table = cooccurrence(study, unit="turn")
    assert any("1 coded document(s) without speaker turns left out" in n for n in table.notes)


def test_jaccard(study):
    overlap = cooccurrence(study, codes=["Caseload", "Time"], jaccard=True)
    # characters: Caseload 22 + 21 + 23 + 28 = 94, Time 22 + 31 = 53, both 22: 22 / 125
    assert overlap.values == [[1.0, 0.176], [0.176, 1.0]]
    assert overlap.measure == "jaccard"
    turn = cooccurrence(study, codes=["Caseload", "Manager", "Workload", "Support"], unit="turn", jaccard=True)
    # rows: Workload, Caseload, Support, Manager.
    # Caseload turns: a, b, c (3); Manager: a, b (2); both 2 -> 2 / 3. Workload 3, Support 4, both 3 -> 0.75.
    assert turn.values[1][3] == 0.667 and turn.values[3][1] == 0.667
    assert turn.values[0][2] == 0.75 and turn.values[0][1] == 1.0
    paragraph = cooccurrence(study, codes=["Caseload", "Manager"], unit="paragraph", jaccard=True)
    assert paragraph.values[0][1] == 0.2    # 1 shared paragraph of 4 + 2 - 1


def test_cooccurrence_filters_and_errors(study):
    table = cooccurrence(study, codes=["Manager", "Reflection"], coder="bob")
    assert table.values == [[0, 0], [0, 2]]
    table = cooccurrence(study, codes=["Manager", "Reflection"], where=[("phase", "2")])
    assert table.values == [[1, 1], [1, 2]]
    with pytest.raises(FieldnotesError, match="Unknown unit 'sentence'"):
        cooccurrence(study, unit="sentence")


# -- framework matrix -----------------------------------------------------------------------


def test_framework_cells_hold_passages_and_memos(study):
    table = framework_matrix(study, pseudonymised=False)
    assert table.measure == "text" and table.corner == "Case"
    assert [h.label for h in table.rows] == ["C1", "C2", "C3"]
    assert table.columns == ["Workload", "Support", "Memos on the case"]
    c1, c2, c3 = table.values
    assert c1[0] == ("[a] The caseload is heavy.\n[a] The caseload is heavy. I have no time\n"
                     "[a] I have no time for direct work.\n[c] Our caseload is rising.")
    assert c1[1] == ("[a] My manager helps.\nMemo: Manager named as key support\n"
                     "[a] Reflection happens in supervision.\n[c] Reflection is rare.")
    assert c1[2] == "Memo: Seen twice, in phases 1 and 2"
    assert c2 == ["[b] The caseload is fine.\n[e · note] The caseload board was full.", "[b] My manager is good.", ""]
    assert c3 == ["[c] Our caseload is rising.", "[c] Reflection is rare.", ""]
    assert len(table.cells[(1, 1)]) == 2      # Manager and Reflection on the same passage
    assert any("NOT PSEUDONYMISED" in n for n in table.notes)
    assert table.row_totals is None and table.column_totals is None


def test_framework_choices_filters_and_shortening(study):
    table = framework_matrix(study, codes=["Caseload"], cases=["c2"], where=[("phase", "2")], max_chars=20,
                             pseudonymised=False)
    assert [h.label for h in table.rows] == ["C2"] and table.columns == ["Caseload"]
    assert table.values == [["[b] The caseload is…"]]     # "The caseload is fine." has 21 characters
    assert shorten("The caseload is heavy and I have twenty-two children on it", 40) == "The caseload is heavy and I have…"
    with pytest.raises(NotFound, match="No case 'C9'"):
        framework_matrix(study, cases=["C9"])
    with pytest.raises(FieldnotesError, match="too short"):
        framework_matrix(study, max_chars=5)


TRANSCRIPT = (
    "Interviewer: Tell me about the family.\n\n"
    "Anita Shah: Jodie Mensah is tired. The caseload is heavy and I have twenty-two children on it "
    "so there is never enough time for direct work with families like hers.\n\n"
    "Interviewer: Thank you.\n\n"
    "Anita Shah: Mrs Mensah helps when she can.\n"
)


def test_framework_is_pseudonymised_by_default(tmp_path, nlp):
    write(tmp_path / "in" / "sw01.txt", TRANSCRIPT)
    write(tmp_path / "m.csv", "file,case\nsw01.txt,SW01\n")
    with Project.create(tmp_path / "p.fnp") as project:
        project.intake.import_paths([tmp_path / "in"], manifest=tmp_path / "m.csv")
        project.codebook.add_code("Family/Wellbeing")
        project.codebook.add_code("Workload/Caseload")
        tired = code(project, "sw01.txt", "Jodie Mensah is tired.", "Wellbeing")
        code(project, "sw01.txt", "The caseload is heavy and I have twenty-two children on it so there is never "
             "enough time for direct work with families like hers.", "Caseload")
        project.memos.add("coding", tired.id, "Jodie seemed tired at the visit")
        project.pseudonyms.detect_entities(nlp=nlp)
        table = framework_matrix(project, max_chars=40)
        assert table.columns == ["Family", "Workload"]
        wellbeing, caseload = table.values[0]
        assert "Jodie" not in wellbeing and "Mensah" not in wellbeing
        first, memo = wellbeing.split("\n")
        assert first.startswith("[sw01] [") and first.endswith("] is tired.")
        assert memo.startswith("Memo: [") and memo.endswith("] seemed tired at the visit")
        assert caseload == "[sw01] The caseload is heavy and I have…"
        assert any(n.startswith("Text pseudonymised") for n in table.notes)
        original = framework_matrix(project, pseudonymised=False)
        assert original.values[0][0] == "[sw01] Jodie Mensah is tired.\nMemo: Jodie seemed tired at the visit"
