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
    return [c.path for c in project.codes()]


def test_add_creates_missing_parents_and_any_depth(project):
    project.add_code("Caseload and time/Caseload/Weighting", description="How cases are weighted")
    assert paths(project) == ["Caseload and time", "Caseload and time/Caseload", "Caseload and time/Caseload/Weighting"]
    deep = project.code("Weighting")
    assert deep.description == "How cases are weighted" and deep.depth == 2
    # Children take their parent's colour; new top-level codes take the next palette colour.
    assert deep.colour == project.code("Caseload and time").colour
    other = project.add_code("Reflection")
    assert other.colour != deep.colour


def test_names_unique_among_siblings_only(project):
    project.add_code("A/Other")
    project.add_code("B/Other")
    with pytest.raises(FieldnotesError, match="already exists"):
        project.add_code("A/Other")
    with pytest.raises(FieldnotesError, match="Several codes are called 'Other': A/Other, B/Other"):
        project.code("Other")
    assert project.code("b/other").path == "B/Other"


def test_unknown_code_suggests_the_closest(project):
    project.add_code("Caseload and time/Caseload")
    with pytest.raises(FieldnotesError, match=r"No code 'Caseloads'\. Did you mean 'Caseload'\?"):
        project.code("Caseloads")


def test_bad_names_and_colours(project):
    with pytest.raises(FieldnotesError, match="not a code path"):
        project.add_code("A//B")
    with pytest.raises(FieldnotesError, match="not a #RRGGBB"):
        project.add_code("A", colour="red")
    assert project.add_code("B", colour="#abc").colour == "#AABBCC"


def test_rename_keeps_codings_and_refuses_sibling_clash(coded):
    coded.add_code("Caseload")
    coded.add_code("Time")
    coded.apply_coding("t.txt", "Caseload", 0, 10)
    coded.rename_code("Caseload", "Caseload size")
    assert [c.code for c in coded.codings()] == ["Caseload size"]
    with pytest.raises(FieldnotesError, match="already called 'Time'"):
        coded.rename_code("Caseload size", "Time")


def test_move_refuses_cycles_and_keeps_children(project):
    project.add_code("A/B/C")
    project.add_code("D")
    project.move_code("B", "D")
    assert paths(project) == ["A", "D", "D/B", "D/B/C"]
    with pytest.raises(FieldnotesError, match="under itself"):
        project.move_code("D", "C")
    project.move_code("C", None)
    assert "C" in paths(project)


def test_merge_moves_codings_without_duplicates_and_merges_subcodes(coded):
    coded.add_code("Caseloads/Weighting")
    coded.add_code("Caseload/Weighting")
    coded.apply_coding("t.txt", "Caseloads", 0, 10)
    coded.apply_coding("t.txt", "Caseloads", 20, 30)
    coded.apply_coding("t.txt", "Caseload", 0, 10)  # the same passage on the target
    coded.apply_coding("t.txt", "Caseloads/Weighting", 40, 50)
    memo = coded.add_memo("code", "Caseloads", "merged later")
    moved = coded.merge_codes("Caseloads", "Caseload")
    assert moved == 3
    assert paths(coded) == ["Caseload", "Caseload/Weighting"]
    ranges = sorted((c.code, c.start, c.end) for c in coded.codings())
    assert ranges == [("Caseload", 0, 10), ("Caseload", 20, 30), ("Caseload/Weighting", 40, 50)]
    assert coded.memos(memo_id=memo.id)[0].target == "Caseload"


def test_delete_refused_in_use_unless_forced(coded):
    coded.add_code("Old/Idea")
    coded.apply_coding("t.txt", "Idea", 0, 10)
    with pytest.raises(FieldnotesError, match="has 1 coding"):
        coded.delete_code("Old")
    assert coded.delete_code("Old", force=True) == 1
    assert paths(coded) == [] and coded.codings() == []


def test_undo_and_redo_of_delete_restores_everything(coded):
    coded.add_code("Old/Idea", description="keep me")
    coding, _ = coded.apply_coding("t.txt", "Idea", 0, 10)
    coded.add_memo("coding", coding.id, "a thought")
    guid = coded.code("Idea").guid
    coded.delete_code("Old", force=True)
    assert coded.undo() == "delete code Old and 1 coding(s)"
    assert paths(coded) == ["Old", "Old/Idea"]
    restored = coded.code("Idea")
    assert restored.guid == guid and restored.description == "keep me"
    assert [c.id for c in coded.codings()] == [coding.id]
    assert coded.memos("coding", coding.id)[0].text == "a thought"
    coded.redo()
    assert paths(coded) == [] and coded.memos() == []
    coded.undo()
    assert paths(coded) == ["Old", "Old/Idea"]


def test_undo_merge_and_rename_in_sequence(coded):
    coded.add_code("A")
    coded.add_code("B")
    coded.apply_coding("t.txt", "A", 0, 10)
    coded.merge_codes("A", "B")
    coded.rename_code("B", "Bee")
    coded.undo()
    coded.undo()
    assert paths(coded) == ["A", "B"]
    assert [c.code for c in coded.codings()] == ["A"]
    with pytest.raises(FieldnotesError, match="Nothing to redo"):
        coded.add_code("C") and coded.redo()


def test_every_change_is_in_the_audit(coded):
    coded.add_code("A")
    coded.rename_code("A", "B")
    coded.undo()
    actions = [r[0] for r in coded.conn.execute("SELECT action FROM audit ORDER BY id")]
    assert actions[-3:] == ["code.add", "code.rename", "undo"]
