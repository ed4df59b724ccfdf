"""One resolver per noun (issue 13, item 2): a case, an attribute, a document
and a word count mean the same thing in every command, table and export.
Each test fails on the code before the resolvers, where one path matched
exactly and another ignoring case, or counted words another way."""

import pytest

from conftest import write
from fieldnotes.analysis.framework import framework_matrix
from fieldnotes.analysis.matrix import code_matrix
from fieldnotes.errors import NotFound
from fieldnotes.passages import count_words


@pytest.fixture
def two_docs(project, tmp_path):
    write(tmp_path / "a.txt", "Interviewer: How is it?\nAnna: Caseload is high, don't ask.\n")
    write(tmp_path / "b.txt", "Interviewer: And you?\nBen: It's fine.\n")
    project.intake.import_paths([tmp_path / "a.txt", tmp_path / "b.txt"])
    a, b = project.document_id("a.txt"), project.document_id("b.txt")
    with project.conn:
        # A name with capitals and a space, as the API (not a manifest) may store it.
        project.attributes.set_typed("document", a, "Years Qualified", 5, None)
        project.attributes.set_typed("document", b, "Years Qualified", 12, None)
        project.attributes.add_case_link(a, "EH02")
        project.attributes.add_case_link(b, "EH03")
    return project


def test_an_attribute_resolves_the_same_in_filters_tables_and_setting(two_docs):
    p = two_docs
    assert p.filter_documents([("years qualified", "5")]) == {p.document_id("a.txt")}
    assert [d.name for d in p.documents(where=[("YEARS QUALIFIED", "12")])] == ["b.txt"]
    table = code_matrix(p, cols="attr:years qualified")
    assert table.columns == ["5", "12"]
    p.attributes.set_attribute("b.txt", "years qualified", 13)
    assert [v.name for v in p.attributes.variables()] == ["Years Qualified"]
    assert p.document("b.txt").attributes == {"Years Qualified": 13}


def test_an_unknown_attribute_is_the_same_error_everywhere(two_docs):
    messages = []
    for attempt in (lambda: two_docs.filter_documents([("yeers qualified", "5")]),
                    lambda: code_matrix(two_docs, cols="attr:yeers qualified")):
        with pytest.raises(NotFound) as err:
            attempt()
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "Did you mean 'Years Qualified'" in messages[0]


def test_a_case_resolves_the_same_in_filters_frameworks_and_case_attributes(two_docs):
    p = two_docs
    assert p.filter_documents([("case", "eh02")]) == {p.document_id("a.txt")}
    p.attributes.set_case_attribute("eh03", "role", "Police officer")
    assert {c.name: c.attributes for c in p.attributes.cases()}["EH03"] == {"role": "Police officer"}
    table = framework_matrix(p, cases=["eh02"], pseudonymised=False)
    assert [r.label for r in table.rows] == ["EH02"]


def test_an_unknown_case_in_a_filter_is_an_error_not_an_empty_table(two_docs):
    with pytest.raises(NotFound, match="No case 'EH09'.*fieldnotes cases"):
        two_docs.filter_documents([("case", "EH09")])


def test_documents_and_the_words_measure_count_words_alike(project, tmp_path):
    # split() counts the dashes and the arrow as words; the word rule counts
    # only runs of letters and digits (with inner apostrophes).
    text = "Caseload — 29 → 31 — isn't right.\n"
    write(tmp_path / "note.txt", text)
    project.intake.import_paths([tmp_path / "note.txt"])
    assert len(text.split()) != count_words(text)
    project.codebook.add_code("Caseload")
    project.coding.apply_coding("note.txt", "Caseload", 0, len(text.rstrip()))
    words_listed = project.documents()[0].words
    table = code_matrix(project, cols="documents", measure="words")
    assert words_listed == count_words(text) == table.values[0][0]
