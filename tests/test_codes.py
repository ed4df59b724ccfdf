"""The codebook: hierarchy, rename, move, merge, delete, undo and redo."""

import pytest

from conftest import write
from fieldnotes.errors import FieldnotesError

TEXT = "Interviewer: How is your caseload?\nSW: Heavy, twenty-four cases. No time for direct work.\nInterviewer: And supervision?\nSW: Monthly if I'm lucky.\n"


@pytest.fixture
def coded(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "t.txt", TEXT)])
    return project


def paths(project):
    return [c.path for c in project.codebook.codes()]


def test_add_creates_missing_parents_and_any_depth(project):
    project.codebook.add_code("Caseload and time/Caseload/Weighting", description="How cases are weighted")
    assert paths(project) == ["Caseload and time", "Caseload and time/Caseload", "Caseload and time/Caseload/Weighting"]
    deep = project.codebook.code("Weighting")
    assert deep.description == "How cases are weighted" and deep.depth == 2
    # Children take their parent's colour; new top-level codes take the next palette colour.
    assert deep.colour == project.codebook.code("Caseload and time").colour
    other = project.codebook.add_code("Reflection")
    assert other.colour != deep.colour


def test_names_unique_among_siblings_only(project):
    project.codebook.add_code("A/Other")
    project.codebook.add_code("B/Other")
    with pytest.raises(FieldnotesError, match="already exists"):
        project.codebook.add_code("A/Other")
    with pytest.raises(FieldnotesError, match="Several codes are called 'Other': A/Other, B/Other"):
        project.codebook.code("Other")
    assert project.codebook.code("b/other").path == "B/Other"


def test_unknown_code_suggests_the_closest(project):
    project.codebook.add_code("Caseload and time/Caseload")
    with pytest.raises(FieldnotesError, match=r"No code 'Caseloads'\. Did you mean 'Caseload'\?"):
        project.codebook.code("Caseloads")


def test_bad_names_and_colours(project):
    with pytest.raises(FieldnotesError, match="not a code path"):
        project.codebook.add_code("A//B")
    with pytest.raises(FieldnotesError, match="not a #RRGGBB"):
        project.codebook.add_code("A", colour="red")
    assert project.codebook.add_code("B", colour="#abc").colour == "#AABBCC"


def test_rename_keeps_codings_and_refuses_sibling_clash(coded):
    coded.codebook.add_code("Caseload")
    coded.codebook.add_code("Time")
    coded.coding.apply_coding("t.txt", "Caseload", 0, 10)
    coded.codebook.rename_code("Caseload", "Caseload size")
    assert [c.code for c in coded.coding.codings()] == ["Caseload size"]
    with pytest.raises(FieldnotesError, match="already called 'Time'"):
        coded.codebook.rename_code("Caseload size", "Time")


def test_move_refuses_cycles_and_keeps_children(project):
    project.codebook.add_code("A/B/C")
    project.codebook.add_code("D")
    project.codebook.move_code("B", "D")
    assert paths(project) == ["A", "D", "D/B", "D/B/C"]
    with pytest.raises(FieldnotesError, match="under itself"):
        project.codebook.move_code("D", "C")
    project.codebook.move_code("C", None)
    assert "C" in paths(project)


def test_merge_moves_codings_without_duplicates_and_merges_subcodes(coded):
    coded.codebook.add_code("Caseloads/Weighting")
    coded.codebook.add_code("Caseload/Weighting")
    coded.coding.apply_coding("t.txt", "Caseloads", 0, 10)
    coded.coding.apply_coding("t.txt", "Caseloads", 20, 30)
    coded.coding.apply_coding("t.txt", "Caseload", 0, 10)  # the same passage on the target
    coded.coding.apply_coding("t.txt", "Caseloads/Weighting", 40, 50)
    memo = coded.memos.add("code", "Caseloads", "merged later")
    moved = coded.codebook.merge_codes("Caseloads", "Caseload")
    assert moved == 3
    assert paths(coded) == ["Caseload", "Caseload/Weighting"]
    ranges = sorted((c.code, c.start, c.end) for c in coded.coding.codings())
    assert ranges == [("Caseload", 0, 10), ("Caseload", 20, 30), ("Caseload/Weighting", 40, 50)]
    assert coded.memos.list(memo_id=memo.id)[0].target == "Caseload"


def test_delete_refused_in_use_unless_forced(coded):
    coded.codebook.add_code("Old/Idea")
    coded.coding.apply_coding("t.txt", "Idea", 0, 10)
    with pytest.raises(FieldnotesError, match="has 1 coding"):
        coded.codebook.delete_code("Old")
    assert coded.codebook.delete_code("Old", force=True) == 1
    assert paths(coded) == [] and coded.coding.codings() == []


def test_undo_and_redo_of_delete_restores_everything(coded):
    coded.codebook.add_code("Old/Idea", description="keep me")
    coding, _ = coded.coding.apply_coding("t.txt", "Idea", 0, 10)
    coded.memos.add("coding", coding.id, "a thought")
    guid = coded.codebook.code("Idea").guid
    coded.codebook.delete_code("Old", force=True)
    assert coded.history.undo() == "delete code Old and 1 coding(s)"
    assert paths(coded) == ["Old", "Old/Idea"]
    restored = coded.codebook.code("Idea")
    assert restored.guid == guid and restored.description == "keep me"
    assert [c.id for c in coded.coding.codings()] == [coding.id]
    assert coded.memos.list("coding", coding.id)[0].text == "a thought"
    coded.history.redo()
    assert paths(coded) == [] and coded.memos.list() == []
    coded.history.undo()
    assert paths(coded) == ["Old", "Old/Idea"]


def test_undo_merge_and_rename_in_sequence(coded):
    coded.codebook.add_code("A")
    coded.codebook.add_code("B")
    coded.coding.apply_coding("t.txt", "A", 0, 10)
    coded.codebook.merge_codes("A", "B")
    coded.codebook.rename_code("B", "Bee")
    coded.history.undo()
    coded.history.undo()
    assert paths(coded) == ["A", "B"]
    assert [c.code for c in coded.coding.codings()] == ["A"]
    with pytest.raises(FieldnotesError, match="Nothing to redo"):
        coded.codebook.add_code("C") and coded.history.redo()


def test_every_change_is_in_the_audit(coded):
    coded.codebook.add_code("A")
    coded.codebook.rename_code("A", "B")
    coded.history.undo()
    actions = [r[0] for r in coded.conn.execute("SELECT action FROM audit ORDER BY id")]
    assert actions[-3:] == ["code.add", "code.rename", "undo"]


# -- one meaning of "a code and its sub-codes", one way to find a code -----------


def _care(coded):
    """"Care plans" starts with "Care" but is its sibling, not a sub-code."""
    coded.codebook.add_code("Care/Assessment")
    coded.codebook.add_code("Care plans")
    text = coded.conn.execute("SELECT text FROM documents").fetchone()[0]
    spans = {}
    for code, words in (("Care", "Heavy"), ("Care/Assessment", "No time"), ("Care plans", "Monthly")):
        start = text.index(words)
        coded.coding.apply_coding("t.txt", code, start, start + len(words))
        spans[code] = (start, start + len(words))
    return spans


def test_every_reader_takes_the_same_sub_codes(coded):
    from fieldnotes.analysis.matrix import CodeTree, code_matrix
    from fieldnotes.export.quotes import quotes

    _care(coded)
    expected = ["Care", "Care/Assessment"]
    assert [c.path for c in coded.codebook.subtree("Care")] == expected
    # Retrieval, with the code named without its case as every lookup allows.
    assert sorted({c.code for c in coded.coding.codings(code="care")}) == expected
    assert [c.code for c in coded.coding.codings(code="Care", include_children=False)] == ["Care"]
    # The analysis engine's ranges.
    tree = CodeTree.of(coded)
    care = tree.position[coded.codebook.code_id("Care")]
    assert [tree.codes[i].path for i in range(len(tree)) if tree.contains(care, i)] == expected
    table = code_matrix(coded)
    by_path = {header.key: values for header, values in zip(table.rows, table.values)}
    assert (by_path["Care"], by_path["Care plans"]) == ([2], [1])
    # Quotes for a theme.
    groups = quotes(coded, codes=["care"], pseudonymised=False)
    assert sorted({q.code for g in groups for q in g.quotes}) == expected
    # Deleting takes the sub-tree and nothing else.
    assert coded.codebook.delete_code("Care", force=True) == 2
    assert paths(coded) == ["Care plans"]
    assert [c.code for c in coded.coding.codings()] == ["Care plans"]


def test_move_and_merge_refuse_only_the_real_sub_tree(coded):
    _care(coded)
    with pytest.raises(FieldnotesError, match="under itself"):
        coded.codebook.move_code("Care", "Assessment")
    with pytest.raises(FieldnotesError, match="its own sub-code"):
        coded.codebook.merge_codes("Care", "Care/Assessment")
    # A sibling whose name starts with the code's name is no sub-code.
    assert coded.codebook.move_code("Care", "Care plans").path == "Care plans/Care"
    assert coded.codebook.merge_codes("Care plans/Care/Assessment", "Care plans") == 1


def test_sibling_names_differ_by_more_than_case_however_a_code_is_made(coded):
    from fieldnotes.model import CodeNode

    book = coded.codebook
    book.add_code("Care/Assessment")
    # Paths are found without case, so a "care" beside "Care" could never be
    # told apart by path: refused, and a path names the existing parent.
    with pytest.raises(FieldnotesError, match=r"The code 'care' already exists as 'Care' \(codes beside each other differ by more than case\)"):
        book.add_code("care")
    book.add_code("care/Review")
    assert paths(coded) == ["Care", "Care/Assessment", "Care/Review"]
    book.add_code("Support/CARE")
    with pytest.raises(FieldnotesError, match="already called 'care'"):
        book.rename_code("Support", "care")
    with pytest.raises(FieldnotesError, match="'the top level' already has a code called 'CARE'"):
        book.move_code("Support/CARE", None)
    assert book.rename_code("Support", "SUPPORT").path == "SUPPORT"   # its own name in another case
    # A codebook file matches codes the same way.
    counts = book.import_codebook([CodeNode("CARE", description="from a file", children=[CodeNode("assessment")])])
    assert counts == {"added": 0, "updated": 1, "unchanged": 1}
    assert book.code("care/ASSESSMENT").path == "Care/Assessment"
    assert book.code("Care").description == "from a file"
