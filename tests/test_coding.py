"""Coding passages, memos, coders, passage helpers, autocoding and retrieval."""

import pytest

from conftest import write
from fieldnotes.errors import FieldnotesError, NotFound
from fieldnotes.passages import expand, fuzzy_hits, keyword_pattern

TEXT = (
    "Interviewer: How is your caseload at the moment?\n\n"
    "SW: Um, heavy. It's twenty-four. My case load was nineteen in May. No time for direct work.\n\n"
    "Interviewer: And supervision?\n\n"
    "SW: Monthly if I'm lucky. My casload is the problem. Jodie said she was tired.\n"
)


@pytest.fixture
def doc(project, tmp_path):
    project.intake.import_paths([write(tmp_path / "t.txt", TEXT)],
                         manifest=write(tmp_path / "m.csv", "file,phase,role,years_qualified\nt.txt,2,SW CP,5\n"))
    project.codebook.add_code("Caseload and time/Caseload")
    project.codebook.add_code("Caseload and time/Time for direct work")
    project.codebook.add_code("Management culture/Supervision")
    return project


def test_apply_validates_range_and_is_idempotent(doc):
    start = TEXT.index("twenty-four")
    coding, new = doc.coding.apply_coding("t", "Caseload", start, start + 11)
    assert new and coding.text == "twenty-four" and coding.coder == "tester"
    again, new_again = doc.coding.apply_coding("t", "Caseload", start, start + 11)
    assert not new_again and again.id == coding.id
    for bad in [(-1, 4), (5, 5), (0, len(TEXT) + 1)]:
        with pytest.raises(FieldnotesError, match="not inside"):
            doc.coding.apply_coding("t", "Caseload", *bad)


def test_overlapping_and_nested_codings(doc):
    doc.coding.apply_coding("t", "Caseload", 10, 60)
    doc.coding.apply_coding("t", "Time for direct work", 40, 120)
    doc.coding.apply_coding("t", "Supervision", 45, 50)
    assert len(doc.coding.codings(document="t")) == 3
    assert {c.code.split("/")[-1] for c in doc.coding.codings_at("t", 47)} == {"Caseload", "Time for direct work", "Supervision"}
    assert len(doc.coding.codings(code="Caseload and time")) == 2
    assert len(doc.coding.codings(code="Caseload and time", include_children=False)) == 0


def test_coder_from_option_env_and_config(doc, monkeypatch, tmp_path):
    doc.coder = "Rachel"
    assert doc.coding.apply_coding("t", "Caseload", 0, 5)[0].coder == "Rachel"
    doc.coder = None
    monkeypatch.delenv("FIELDNOTES_CODER")
    config = write(tmp_path / "config.toml", 'coder = "Sam"\n')
    monkeypatch.setenv("FIELDNOTES_CONFIG", str(config))
    assert doc.coding.apply_coding("t", "Caseload", 5, 9)[0].coder == "Sam"
    assert sorted(r[0] for r in doc.conn.execute("SELECT name FROM coders")) == ["Rachel", "Sam"]


def test_remove_and_undo_redo_of_codings(doc):
    coding, _ = doc.coding.apply_coding("t", "Caseload", 0, 10)
    doc.coding.remove_coding(coding.id)
    assert doc.coding.codings() == []
    doc.history.undo()
    assert [c.guid for c in doc.coding.codings()] == [coding.guid]
    doc.history.undo()  # the apply itself
    assert doc.coding.codings() == []
    doc.history.redo()
    assert len(doc.coding.codings()) == 1


def test_find_text_and_occurrences(doc):
    start, end = doc.coding.find_text("t", "twenty-four")
    assert TEXT[start:end] == "twenty-four"
    with pytest.raises(FieldnotesError, match="occurs 2 times"):
        doc.coding.find_text("t", "Interviewer")
    assert doc.coding.find_text("t", "Interviewer", 2)[0] == TEXT.index("Interviewer: And")
    with pytest.raises(FieldnotesError, match="does not occur"):
        doc.coding.find_text("t", "nonsense words")


def test_memos_on_every_kind_of_target(doc):
    coding, _ = doc.coding.apply_coding("t", "Caseload", 0, 10)
    doc.memos.add("project", None, "overall")
    doc.memos.add("document", "t.txt", "tired interviewee")
    doc.memos.add("code", "Caseload", "define weighting")
    doc.memos.add("coding", coding.id, "key quote")
    assert [m.target for m in doc.memos.list()] == ["project", "t.txt", "Caseload and time/Caseload", f"coding {coding.id}"]
    assert doc.memos.list("code", "Caseload")[0].text == "define weighting"
    memo = doc.memos.list("project")[0]
    doc.memos.edit(memo.id, "changed")
    assert doc.memos.list(memo_id=memo.id)[0].text == "changed"
    doc.history.undo()
    assert doc.memos.list(memo_id=memo.id)[0].text == "overall"


# -- passage helpers ----------------------------------------------------------------

def test_expand_to_word_sentence_paragraph_turn(doc):
    document = doc.document("t")
    at = TEXT.index("nineteen") + 2
    assert TEXT[slice(*expand(TEXT, at, at + 1, "word"))] == "nineteen"
    assert TEXT[slice(*expand(TEXT, at, at + 1, "sentence"))] == "My case load was nineteen in May."
    paragraph = "SW: Um, heavy. It's twenty-four. My case load was nineteen in May. No time for direct work."
    assert TEXT[slice(*expand(TEXT, at, at + 1, "paragraph", document.turns))] == paragraph[4:]
    assert TEXT[slice(*doc.coding.expand_passage("t", at, at + 1, "turn"))] == paragraph[4:]
    first = TEXT.index("Um")
    assert TEXT[slice(*expand(TEXT, first, first + 2, "sentence", document.turns))] == "Um, heavy."


def test_keyword_pattern_is_whole_word_and_case_insensitive():
    pattern = keyword_pattern(["caseload", "direct work"])
    assert [m.group() for m in pattern.finditer("Caseload, caseloads, direct  work, indirect work")] == ["Caseload", "direct  work"]


def test_fuzzy_catches_split_words_and_typos_but_not_unrelated():
    hits = fuzzy_hits(TEXT, "caseload", 85)
    found = [TEXT[a:b] for a, b, _ in hits]
    assert found == ["caseload", "case load", "casload"]


# -- autocoding --------------------------------------------------------------------

def test_autocode_dry_run_matches_apply_and_undo_is_one_step(doc):
    hits, new = doc.coding.autocode("Caseload", fuzzy="caseload", scope="sentence", dry_run=True)
    assert new == 0 and doc.coding.codings() == []
    assert [TEXT[h.start:h.end] for h in hits] == [
        "How is your caseload at the moment?", "My case load was nineteen in May.", "My casload is the problem."]
    assert hits[0].speaker == "Interviewer" and hits[1].speaker == "SW"
    _, applied = doc.coding.autocode("Caseload", fuzzy="caseload", scope="sentence")
    assert applied == 3
    assert [(c.start, c.end) for c in doc.coding.codings()] == [(h.start, h.end) for h in hits]
    again, none = doc.coding.autocode("Caseload", fuzzy="caseload", scope="sentence")
    assert none == 0 and all(h.already_coded for h in again)
    doc.history.undo()
    assert doc.coding.codings() == []


def test_autocode_keyword_regex_speaker_scopes(doc):
    hits, _ = doc.coding.autocode("Caseload", keywords=["caseload"], scope="match", dry_run=True)
    assert [TEXT[h.start:h.end] for h in hits] == ["caseload"]
    hits, _ = doc.coding.autocode("Caseload", regex=r"case\s?load", scope="turn", dry_run=True)
    assert len(hits) == 2 and TEXT[hits[1].start:hits[1].end].startswith("Um, heavy.")
    hits, applied = doc.coding.autocode("Supervision", speaker="sw")
    assert applied == 2 and all(h.speaker == "SW" for h in hits)
    with pytest.raises(FieldnotesError, match="exactly one"):
        doc.coding.autocode("Caseload", keywords=["a"], regex="b")
    with pytest.raises(FieldnotesError, match="not valid"):
        doc.coding.autocode("Caseload", regex="(unclosed")


# -- retrieval ---------------------------------------------------------------------

def test_passages_with_attribution_speaker_and_filters(doc, tmp_path):
    doc.intake.import_paths([write(tmp_path / "m.txt", "Interviewer: Caseload?\nManager: Fine.\nInterviewer: Sure?\nManager: Caseload is fine.\n")],
                     manifest=write(tmp_path / "m2.csv", "file,phase,role\nm.txt,3,Team manager\n"))
    doc.coding.autocode("Caseload", keywords=["caseload"], scope="sentence")
    got = doc.coding.passages("Caseload and time")
    assert [(p.document, p.speaker, p.attribution) for p in got] == [
        ("m.txt", "Interviewer", "Interviewer"), ("m.txt", "Manager", "Team manager"),
        ("t.txt", "Interviewer", "Interviewer")]
    assert got[2].text == "How is your caseload at the moment?"
    assert [p.document for p in doc.coding.passages("Caseload", where=[("phase", "2")])] == ["t.txt"]
    assert doc.coding.passages("Caseload", where=[("role", "SW CP"), ("phase", "3")]) == []
    doc.set_setting("attribution_template", "{role} (phase {phase}), {team}")
    assert doc.coding.passages("Caseload")[1].attribution == "Team manager (phase 3)"
    # An unknown coder is an error naming them (issue 13: it was an empty list).
    with pytest.raises(NotFound, match="No coder 'nobody'. Coders in this project: tester."):
        doc.coding.passages("Caseload", coder="nobody")


def test_interviewer_questions_are_not_attributed_to_the_participant(doc):
    doc.coding.autocode("Caseload", keywords=["caseload", "case load"], scope="sentence")
    got = {p.speaker: p.attribution for p in doc.coding.passages("Caseload")}
    assert got == {"Interviewer": "Interviewer", "SW": "SW CP, 5 years qualified"}
    doc.set_setting("interviewer_labels", "Nobody")
    assert {p.attribution for p in doc.coding.passages("Caseload")} == {"SW CP, 5 years qualified"}


def test_expand_and_trim_keep_speaker_labels_and_time_codes_out(project, tmp_path):
    """Issue 12 finding 3, in the domain layer the CLI shares."""
    from fieldnotes import passages

    text = ("[00:00:05] Interviewer: Okay, it's recording. Tell me about the week.\n"
            "[00:00:09] SW: Okay. It was busy.\n[00:00:15] Interviewer: Right.\n[00:00:17] SW: Yes.\n")
    source = tmp_path / "timed.txt"
    source.write_text(text, encoding="utf-8")
    project.intake.import_paths([source])
    turns = project.document("timed.txt").turns
    assert [text[a:b] for a, b in passages.label_ranges(text, turns)] == [
        "[00:00:05] Interviewer: ", "[00:00:09] SW: ", "[00:00:15] Interviewer: ", "[00:00:17] SW: "]
    for unit, expected in [("word", "Okay"), ("sentence", "Okay, it's recording."),
                           ("paragraph", "Okay, it's recording. Tell me about the week."),
                           ("turn", "Okay, it's recording. Tell me about the week.")]:
        a, b = project.coding.expand_passage("timed.txt", 0, 1, unit)
        assert text[a:b] == expected, unit
    second = text.index("[00:00:09]")
    a, b = project.coding.expand_passage("timed.txt", second, second + 3, "paragraph")
    assert text[a:b] == "Okay. It was busy."
    # A dragged range from one line start into the next label.
    third = text.index("[00:00:15]")
    a, b = passages.trim_labels(text, second, third + 5, turns)
    assert text[a:b] == "Okay. It was busy."
    # A selection running into the next speaker's label grows within its own turn only.
    a, b = passages.expand(text, second + 22, third + 5, "sentence", turns)
    assert text[a:b] == "It was busy."
    # Nothing but a label: left as it is (nothing else to keep).
    assert passages.trim_labels(text, 0, 5, turns) == (0, 5)
