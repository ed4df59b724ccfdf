"""One coder, one lookup (issue 13): a coder named by a user is found the same
way by codings, passages, the matrix, agreement, disagreements, team copies
and the view setting, and an unknown coder is the same clear error from each."""

from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner

from conftest import write
from fieldnotes.analysis.agreement import agreement
from fieldnotes.analysis.matrix import code_matrix
from fieldnotes.cli import load_commands
from fieldnotes.errors import FieldnotesError, NotFound
from fieldnotes.export.quotes import quotes
from fieldnotes.project import Project
from fieldnotes.team import disagreements, make_copy

TEXT = (
    "Interviewer: How is your caseload?\n\n"
    "SW: Heavy. Twenty-four families and no time for direct work.\n\n"
    "Interviewer: And supervision?\n\n"
    "SW: Monthly, if I am lucky. Reflection happens in the car.\n"
)
UNKNOWN = "No coder 'zoe'. Coders in this project: anna, ben, tester."

cli = load_commands()


@pytest.fixture
def study(tmp_path):
    """Two coders, anna and ben, who coded Caseload on overlapping ranges."""
    path = tmp_path / "study.fnp"
    with Project.create(path) as proj:
        proj.intake.import_paths([write(tmp_path / "t.txt", TEXT)])
        proj.codebook.add_code("Caseload")
        proj.codebook.add_code("Reflection")
        proj.coding.apply_coding("t", "Caseload", 40, 60, coder="anna")
        proj.coding.apply_coding("t", "Caseload", 45, 70, coder="ben")
        proj.memos.add("project", None, "tester is a coder too")   # so 'tester' is known, without codings
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_a_coder_named_in_any_case_resolves_to_the_same_coder_everywhere(study):
    with Project.open(study) as proj:
        assert proj.coders.resolve("ANNA").name == "anna"
        # Passages by coder: "ANNA" used to match nothing, silently.
        shouted = proj.coding.passages("Caseload", coder="ANNA")
        assert [(p.start, p.end, p.coder) for p in shouted] == [(40, 60, "anna")]
        assert shouted == proj.coding.passages("Caseload", coder="anna")
        assert [q.coder for g in quotes(proj, coder=" Anna ", pseudonymised=False) for q in g.quotes] == ["anna"]
        assert code_matrix(proj, coder="ANNA").total == code_matrix(proj, coder="anna").total == 1
        assert agreement(proj, coders=["ANNA", "Ben"]).coders == ["anna", "ben"]
        assert [d.ranges for d in disagreements(proj, coders=["ANNA", "BEN"])] == \
            [d.ranges for d in disagreements(proj, coders=["anna", "ben"])]


def test_writing_as_a_coder_in_another_case_does_not_add_a_second_coder(study):
    with Project.open(study) as proj:
        coding, new = proj.coding.apply_coding("t", "Reflection", 150, 170, coder="ANNA")
        memo = proj.memos.add("coding", coding.id, "in the car", coder="Anna")
        assert new and coding.coder == "anna" and memo.coder == "anna"
        assert [c.name for c in proj.coders.list()] == ["anna", "ben", "tester"]
        hits, applied = proj.coding.autocode("Caseload", keywords=["caseload"], scope="match", coder="ANNA")
        assert applied == 1 and [c.coder for c in proj.coding.codings(code="Caseload")].count("anna") == 2
        # The same search again: anna's coding is found as already there, whatever the case.
        again, _ = proj.coding.autocode("Caseload", keywords=["caseload"], scope="match", coder="anna", dry_run=True)
        assert [h.already_coded for h in again] == [True]


def test_an_unknown_coder_is_the_same_clear_error_from_passages_matrix_and_quotes(study):
    with Project.open(study) as proj:
        errors = []
        for call in (lambda: proj.coding.passages("Caseload", coder="zoe"),
                     lambda: code_matrix(proj, coder="zoe"),
                     lambda: quotes(proj, coder="zoe"),
                     lambda: proj.coders.resolve("zoe")):
            with pytest.raises(NotFound) as caught:
                call()
            errors.append(str(caught.value))
    assert errors == [UNKNOWN] * 4
    # Agreement and disagreements want coders who have coded: the same rule,
    # listing those; tester wrote a memo but coded nothing.
    with Project.open(study) as proj:
        for call in (lambda: agreement(proj, coders=["anna", "tester"]),
                     lambda: disagreements(proj, coders=["anna", "tester"])):
            with pytest.raises(NotFound, match=r"^No codings by a coder called 'tester'. Coders with codings: anna, ben.$"):
                call()


def test_the_command_line_says_the_same_one_line_error(study):
    for args in (["passages", study, "--code", "Caseload", "--coder", "zoe"],
                 ["export", "matrix", study, "--coder", "zoe", "-o", study.with_name("m.csv")]):
        result = run(*args)
        assert result.exit_code != 0
        assert result.output.strip().splitlines()[-1] == f"Error: {UNKNOWN}", result.output


def test_a_name_that_folds_to_two_old_coders_must_be_given_exactly(study):
    # Projects from before this rule may hold 'Anna' beside 'anna'.
    with Project.open(study) as proj:
        proj.conn.execute("INSERT INTO coders(guid, name, created_at) VALUES ('g-Anna', 'Anna', '2024-01-01')")
        assert proj.coders.resolve("Anna").name == "Anna" and proj.coders.resolve("anna").name == "anna"
        with pytest.raises(FieldnotesError, match="'ANNA' could be any of the coders Anna, anna"):
            proj.coders.resolve("ANNA")


def test_a_blind_copy_for_a_coder_in_another_case_keeps_their_codings(study, tmp_path, monkeypatch):
    monkeypatch.delenv("FIELDNOTES_CODER")
    with Project.open(study) as proj:
        report = make_copy(proj, "ANNA", tmp_path / "anna.fnp")
    # Only ben's coding is left out; anna's own stays in her copy.
    assert (report.coder, report.removed_codings, report.codings) == ("anna", 1, 1)
    with Project.open(tmp_path / "anna.fnp") as copy:
        assert [c.coder for c in copy.coding.codings()] == ["anna"]
        coding, _ = copy.coding.apply_coding("t", "Reflection", 150, 170)
        assert coding.coder == "anna"


def test_a_view_set_for_a_coder_binds_them_in_any_case(study):
    with Project.open(study) as proj:
        proj.reading.set_text_view("pseudonymised", "sam lee")
    with Project.open(study, coder="Sam Lee") as proj:
        assert proj.reading.shows_pseudonymised()
    with Project.open(study, coder="anna") as proj:
        assert not proj.reading.shows_pseudonymised()


def test_act_as_a_coder_keeps_an_existing_coders_spelling(study):
    with Project.open(study) as proj:
        proj.coders.act_as("BEN")
        assert proj.coders.coder_name() == "ben"
        proj.coders.act_as("Cat")             # new: as given
        assert proj.coders.coder_name() == "Cat"
        proj.coders.act_as(None)              # back to the default (FIELDNOTES_CODER)
        assert proj.coders.coder_name() == "tester"
    assert "Coded t.txt 40-60" in run("code", "apply", study, "--doc", "t", "--code", "Reflection",
                                  "--start", "40", "--end", "60", "--coder", "BEN").output
    with Project.open(study) as proj:
        assert [c.coder for c in proj.coding.codings(code="Reflection")] == ["ben"]


def test_remove_the_coding_at_a_position(study):
    with Project.open(study) as proj:
        with pytest.raises(FieldnotesError, match=r"Several codings match: 1 \(40-60\), 2 \(45-70\); use --id"):
            proj.coding.remove_at("t", 50, code="Caseload")
        with pytest.raises(NotFound, match="No 'Caseload' coding at character 10 of 't'"):
            proj.coding.remove_at("t", 10, code="Caseload")
        gone = proj.coding.remove_at("t", 65, code="caseload")
        assert (gone.id, gone.coder) == (2, "ben")
        assert [c.id for c in proj.coding.codings()] == [1]
        proj.history.undo()
        assert [c.id for c in proj.coding.codings()] == [1, 2]
    result = run("code", "remove", study, "--doc", "t", "--code", "Caseload", "--at", "65")
    assert result.exit_code == 0 and "Removed Caseload from t.txt 45-70" in result.output


def test_a_qdpx_whose_user_is_called_like_the_unknown_coder_imports(tmp_path):
    # Codings that name no user are credited to "unknown coder"; a user of
    # that name in any case is that coder, not a second one (nor a crash).
    text = "Interviewer: How is your caseload?\nSW: Heavy.\n"
    start = text.index("Heavy")
    users = ("70daf61c-b6f0-4b5e-8c2f-548fde3ad3d4", "1b4e28ba-2fa1-41d2-883f-0016d3cca427")
    code, source = "4f8a2b8e-3d6c-4b1a-9e2f-1c2d3e4f5a6b", "5a8a2b8e-3d6c-4b1a-9e2f-1c2d3e4f5a6b"
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Two users">
  <Users><User guid="{users[0]}" name="Unknown Coder"/><User guid="{users[1]}" name="Ben"/></Users>
  <CodeBook><Codes><Code guid="{code}" name="Caseload" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="{source}" name="t.txt" plainTextPath="internal://{source}.txt">
      <PlainTextSelection guid="6a8a2b8e-3d6c-4b1a-9e2f-1c2d3e4f5a6b" startPosition="{start}" endPosition="{start + 5}">
        <Coding guid="7a8a2b8e-3d6c-4b1a-9e2f-1c2d3e4f5a6b"><CodeRef targetGUID="{code}"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
    path = tmp_path / "two.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde.encode("utf-8"))
        archive.writestr(f"sources/{source}.txt", text.encode("utf-8"))
    result = run("qdpx", "import", path, tmp_path / "two.fnp")
    assert result.exit_code == 0, result.output
    with Project.open(tmp_path / "two.fnp") as proj:
        assert [(c.text, c.coder) for c in proj.coding.codings()] == [("Heavy", "Unknown Coder")]
        assert [c.name for c in proj.coders.list()] == ["Ben", "Unknown Coder"]
