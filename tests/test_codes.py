"""The codebook: hierarchy, rename, move, merge, delete, undo and redo."""

import pytest

from conftest import write
from fieldnotes.errors import FieldnotesError

TEXT = "Interviewer: How is your caseload?\nSW: Heavy, twenty-four cases. No time for direct work.\nInterviewer: And supervision?\nSW: Monthly if I'm lucky.\n"


@pytest.fixture
def coded(project, tmp_path):
    project.import_paths([write(tmp_path / "t.txt", TEXT)])
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
