"""The leak checker on every format it reads, with real files made here."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest

from conftest import write
from fieldnotes.project import Project
from fieldnotes.pseudonymise.leaks import Leak, check_leaks

SURFACES = {
    "Jodie": "Jodie Mensah",
    "Mensah": "Jodie Mensah",
    "Jodie Mensah": "Jodie Mensah",
    "Shah": "Anita Shah",
    "Will": "Will Hughes",
    "07700 900418": "07700 900418",
    "Bennett": "Grace Bennett",
}
CLEAN = "Interviewer: How was the visit?\nParticipant A: Fine. [Person 1] was tired, she will call.\n"


def found(leaks: list[Leak]) -> list[tuple[str, int, int, str, str, str]]:
    return [(leak.path, leak.line, leak.column, leak.found, leak.surface, leak.kind) for leak in leaks]


def check(*paths: Path, **options) -> tuple[list[Leak], list[str]]:
    return check_leaks(list(paths), SURFACES, **options)


# --- matching --------------------------------------------------------------------------


def test_text_file_exact_hit_with_line_column_and_context(tmp_path):
    path = write(tmp_path / "notes.txt", "First line.\nSecond line.\nThen Jodie's mum rang.\n")
    leaks, problems = check(path)
    assert problems == []
    assert leaks == [
        Leak(str(path), 3, 6, "Jodie", "Jodie", "Jodie Mensah", "exact",
             "First line. Second line. Then Jodie's mum rang.")
    ]


def test_case_insensitive_hits(tmp_path):
    path = write(tmp_path / "notes.md", "# JODIE\n\nthen jodie and mensah left\n")
    leaks, _ = check(path)
    assert found(leaks) == [
        (str(path), 1, 3, "JODIE", "Jodie", "case-insensitive"),
        (str(path), 3, 6, "jodie", "Jodie", "case-insensitive"),
        (str(path), 3, 16, "mensah", "Mensah", "case-insensitive"),
    ]


def test_word_boundaries(tmp_path):
    # "Shah" is too short for fuzzy matching; it must not match inside "Shahid".
    path = write(tmp_path / "a.txt", "Shahid came. (Shah) and Shah's car. Shah_x\n")
    leaks, _ = check(path)
    assert [(leak.column, leak.found) for leak in leaks] == [(15, "Shah"), (25, "Shah")]


def test_fuzzy_misspellings(tmp_path):
    path = write(tmp_path / "a.txt", "Mrs Mensha rang.\nJodi Mensahh again.\nMensahs van\n")
    leaks, _ = check(path)
    assert found(leaks) == [
        (str(path), 1, 5, "Mensha", "Mensah", "fuzzy"),  # swapped letters
        (str(path), 2, 1, "Jodi Mensahh", "Jodie Mensah", "fuzzy"),  # a name of two words, both misspelt
        (str(path), 3, 1, "Mensahs", "Mensah", "fuzzy"),
    ]


def test_fuzzy_threshold_and_short_surfaces(tmp_path):
    path = write(tmp_path / "a.txt", "Mensha rang. Shahh came. Jodi.\n")
    leaks, _ = check(path)
    # Short names ("Shah", "Jodie" vs "Jodi" is not close enough) are not fuzzy-matched.
    assert [leak.found for leak in leaks] == ["Mensha"]
    assert check(path, fuzzy_threshold=101)[0] == []
    # A lower threshold also accepts a changed letter.
    write(path, "Mrs Mensan rang.\n")
    assert check(path)[0] == []
    assert [(leak.found, leak.kind) for leak in check(path, fuzzy_threshold=80)[0]] == [("Mensan", "fuzzy")]


def test_each_place_reported_once_as_the_longest_strongest_form(tmp_path):
    path = write(tmp_path / "a.txt", "Jodie Mensah and JODIE MENSAH\n")
    leaks, _ = check(path)
    assert [(leak.found, leak.surface, leak.kind) for leak in leaks] == [
        ("Jodie Mensah", "Jodie Mensah", "exact"),
        ("JODIE MENSAH", "Jodie Mensah", "case-insensitive"),
    ]


def test_phone_number_with_other_spacing(tmp_path):
    path = write(
        tmp_path / "a.txt",
        "a 07700 900418\nb 07700900418\nc 07700-900-418\nd +44 7700 900418\ne 077009004189\nf 107700900418\n",
    )
    leaks, _ = check(path)
    assert [(leak.line, leak.found, leak.surface, leak.kind) for leak in leaks] == [
        (1, "07700 900418", "07700 900418", "exact"),
        (2, "07700900418", "07700 900418", "exact"),
        (3, "07700-900-418", "07700 900418", "exact"),
        (4, "44 7700 900418", "07700 900418", "exact"),
    ]


def test_names_that_are_ordinary_words_match_only_as_written(tmp_path):
    path = write(tmp_path / "a.txt", "I will ring. Will rang. WILL\n")
    leaks, _ = check(path)
    assert [(leak.column, leak.found, leak.kind) for leak in leaks] == [(14, "Will", "exact")]


def test_allowlist(tmp_path):
    path = write(tmp_path / "a.txt", "Mensah rang. Bennett Road Surgery called about Mrs Bennett.\n")
    leaks, _ = check(path, ignore=["MENSAH", "Bennett Road Surgery"])
    assert [(leak.column, leak.found) for leak in leaks] == [(52, "Bennett")]


def test_clean_files_of_every_format_give_no_leaks(tmp_path):
    import docx
    import openpyxl

    folder = tmp_path / "out"
    write(folder / "a.txt", CLEAN)
    write(folder / "b.md", "# Notes\n\n" + CLEAN)
    write(folder / "c.csv", "speaker,text\nInterviewer,How was it?\nParticipant A,[Person 1] will call\n")
    write(folder / "d.json", json.dumps({"text": CLEAN}))
    write(folder / "e.jsonl", json.dumps({"text": "[Person 1]"}) + "\n")
    write(folder / "f.html", f"<html><body><p>{CLEAN}</p></body></html>")
    document = docx.Document()
    document.add_paragraph(CLEAN)
    document.save(str(folder / "g.docx"))
    book = openpyxl.Workbook()
    book.active["A1"] = CLEAN
    book.save(folder / "h.xlsx")
    with Project.create(folder / "safe.fnp") as project:
        project.intake.import_paths([folder / "a.txt"])
    assert check(folder) == ([], [])


# --- formats ---------------------------------------------------------------------------


def test_csv_reports_row_and_cell_column(tmp_path):
    path = write(tmp_path / "quotes.csv", 'document,quote\np1,"Long answer,\nthen Mensah"\np2,fine\n')
    leaks, _ = check(path)
    assert found(leaks) == [(str(path), 2, 2, "Mensah", "Mensah", "exact")]
    assert leaks[0].context == "Long answer, then Mensah"


def test_xlsx_every_sheet_and_cell(tmp_path):
    import openpyxl

    path = tmp_path / "matrix.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet["A1"] = "Theme"
    sheet["B3"] = "Mrs Mensah said no"
    cases = book.create_sheet("Jodie")
    cases["D7"] = 7700900418  # a phone number typed as a number loses its 0
    book.save(path)
    leaks, problems = check(path)
    assert problems == []
    assert found(leaks) == [
        (f"{path}:sheet names", 2, 1, "Jodie", "Jodie", "exact"),
        (f"{path}:Summary", 3, 2, "Mensah", "Mensah", "exact"),
        (f"{path}:Jodie", 7, 4, "7700900418", "07700 900418", "exact"),
    ]


def test_docx_paragraphs_tables_headers_footers_and_properties(tmp_path):
    import docx

    path = tmp_path / "quotes.docx"
    document = docx.Document()
    document.add_paragraph("Quotes")
    document.add_paragraph("She said Jodie was tired.")
    table = document.add_table(rows=2, cols=2)
    table.cell(1, 0).text = "Participant"
    table.cell(1, 1).text = "Mensha"
    section = document.sections[0]
    section.header.paragraphs[0].text = "Case: JODIE"
    section.footer.paragraphs[0].text = "Ring 07700-900-418"
    document.core_properties.author = "Anita Shah"
    document.save(str(path))
    leaks, problems = check(path)
    assert problems == []
    assert found(leaks) == [
        (str(path), 2, 10, "Jodie", "Jodie", "exact"),
        (str(path), 6, 1, "Mensha", "Mensah", "fuzzy"),  # paragraphs 3-6 are the table's cells
        (f"{path}:footer1", 1, 6, "07700-900-418", "07700 900418", "exact"),
        (f"{path}:header1", 1, 7, "JODIE", "Jodie", "case-insensitive"),
        (f"{path}:properties", 1, 15, "Shah", "Shah", "exact"),
    ]


def test_docx_tracked_deletions_are_still_in_the_file(tmp_path):
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    path = tmp_path / "edited.docx"
    document = docx.Document()
    paragraph = document.add_paragraph("Name: ")
    stamp = 'w:author="R" w:date="2024-05-01T00:00:00Z"'
    deleted = '<w:r><w:delText>Mensah</w:delText></w:r>'
    paragraph._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="1" {stamp}>{deleted}</w:del>'))
    paragraph._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="2" {stamp}><w:r><w:t>[Person 1]</w:t></w:r></w:ins>'))
    document.save(str(path))
    assert docx.Document(str(path)).paragraphs[0].text == "Name: "  # what python-docx alone would read
    leaks, _ = check(path)
    assert found(leaks) == [(str(path), 1, 8, "Mensah", "Mensah", "exact")]
    assert leaks[0].context == "Name: Mensah [Person 1]"


def test_html_text_without_tags_with_entities_unescaped(tmp_path):
    path = write(
        tmp_path / "report.html",
        "<!doctype html>\n<html><head><title>Report</title></head>\n<body>\n"
        "<p class=\"jodie-note\">We met <b>Jo</b>die &amp; her son.</p>\n"
        "<p>Mrs Mens&#97;h</p>\n<img src=\"x.png\" alt=\"Photo of Mensah\">\n<!-- check Shah -->\n</body></html>\n",
    )
    leaks, problems = check(path)
    assert problems == []
    assert [(leak.line, leak.column, leak.found, leak.kind) for leak in leaks] == [
        (4, 33, "Jodie", "exact"),  # split by a tag, found as the reader sees it
        (5, 8, "Mensah", "exact"),  # written with a character reference
        (7, 12, "Shah", "exact"),  # in a comment
        (4, 1, "jodie", "case-insensitive"),  # in an attribute: reported at its tag
        (6, 1, "Mensah", "exact"),
    ]
    assert leaks[0].context == "Report We met Jodie & her son. Mrs Mensah che"


def test_json_and_jsonl_as_text_with_escapes_read(tmp_path):
    lines = [json.dumps({"text": "fine"}), json.dumps({"text": "Jodie’s"})]
    jsonl = write(tmp_path / "log.jsonl", "\n".join(lines) + "\n")
    leaks, _ = check(jsonl)
    assert found(leaks) == [(str(jsonl), 2, 11, "Jodie", "Jodie", "exact")]
    # json.dumps writes "Siobhán Ó Briain" as "Siobh\u00e1n \u00d3 Briain"
    path = write(tmp_path / "quotes.json", json.dumps({"quotes": [{"speaker": "Siobhán Ó Briain"}]}, indent=2))
    assert "Siobh\\u00e1n" in path.read_text()
    leaks, _ = check_leaks([path], {"Siobhán Ó Briain": "Siobhán Ó Briain"})
    assert found(leaks) == [(str(path), 4, 19, "Siobhán Ó Briain", "Siobhán Ó Briain", "exact")]


def test_folders_are_scanned_recursively_and_zip_members_named(tmp_path):
    write(tmp_path / "out" / "a" / "b" / "deep.txt", "nothing\nMensah\n")
    write(tmp_path / "out" / ".DS_Store", b"\x00\x01Mensah")  # operating-system litter, skipped
    archive = tmp_path / "out" / "deposit.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("transcripts/p1.txt", "one\ntwo\nJodie\n")
        zf.writestr("transcripts/readme.pdf", b"%PDF-1.4")
    leaks, problems = check(tmp_path / "out")
    assert found(leaks) == [
        (str(tmp_path / "out" / "a" / "b" / "deep.txt"), 2, 1, "Mensah", "Mensah", "exact"),
        (f"{archive}:transcripts/p1.txt", 3, 1, "Jodie", "Jodie", "exact"),
    ]
    assert len(problems) == 1 and problems[0].startswith(f"{archive}:transcripts/readme.pdf: not checked")


def test_unreadable_and_unsupported_files_are_problems_not_crashes(tmp_path):
    broken = write(tmp_path / "broken.docx", b"this is not a Word document")
    truncated = tmp_path / "truncated.xlsx"
    with zipfile.ZipFile(truncated, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    pdf = write(tmp_path / "scan.pdf", b"%PDF-1.4 Jodie Mensah")
    good = write(tmp_path / "good.txt", "Jodie\n")
    leaks, problems = check(broken, truncated, pdf, good, tmp_path / "missing.txt")
    assert found(leaks) == [(str(good), 1, 1, "Jodie", "Jodie", "exact")]
    assert len(problems) == 4
    assert problems[0].startswith(f"{broken}: not checked: could not be read as a Word document")
    assert problems[1].startswith(f"{truncated}: not checked: could not be read as an Excel workbook")
    assert problems[2].startswith(f"{pdf}: not checked: the leak checker cannot read .pdf files")
    assert problems[3] == f"{tmp_path / 'missing.txt'}: no such file or folder; check the path."


# --- fieldnotes projects and SQLite files ------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_project_every_table_is_searched_and_the_file_is_left_untouched(tmp_path):
    source = write(tmp_path / "src" / "p1_int.txt", "Interviewer: Hello.\n\nAnita: I saw Jodie on Monday.\n")
    path = tmp_path / "study.fnp"
    with Project.create(path) as project:
        project.intake.import_paths([source])
        project.memos.add("project", None, "Remember:\nring Mensah")
    before = _digest(path)
    leaks, problems = check(path)
    assert problems == []
    assert found(leaks) == [
        (f"{path}:documents.text#1", 3, 14, "Jodie", "Jodie", "exact"),
        (f"{path}:memos.text#1", 2, 6, "Mensah", "Mensah", "exact"),
    ]
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "study.fnp"]  # no -wal or -shm left behind


def test_project_whose_text_is_clean_but_a_memo_keeps_a_name(tmp_path):
    source = write(tmp_path / "p1.txt", CLEAN)
    path = tmp_path / "safe.fnp"
    with Project.create(path) as project:
        project.intake.import_paths([source])
        project.memos.add("document", "p1", "Follow up with Mrs MENSAH")
    leaks, _ = check(path)
    assert found(leaks) == [(f"{path}:memos.text#1", 1, 20, "MENSAH", "Mensah", "case-insensitive")]


def test_project_where_a_name_survives_only_in_the_audit_table(tmp_path):
    path = tmp_path / "safe.fnp"
    with Project.create(path) as project:
        project.set_setting("report_title", "Jodie study")
        project.set_setting("report_title", "Family study")  # the setting itself is clean now
    leaks, _ = check(path)
    assert [(leak.path.split(":", 1)[1].split("#")[0], leak.found) for leak in leaks] == [("audit.detail", "Jodie")]


def test_project_open_elsewhere_is_read_with_its_write_ahead_log(tmp_path):
    path = tmp_path / "study.fnp"
    project = Project.create(path)
    try:
        project.memos.add("project", None, "Ring Jodie")
        assert Path(f"{path}-wal").exists()  # not yet checkpointed into the file
        leaks, problems = check(path)
    finally:
        project.close()
    assert problems == []
    assert found(leaks) == [(f"{path}:memos.text#1", 1, 6, "Jodie", "Jodie", "exact")]


def _deleted_row_database(path: Path, text: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete = OFF")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES (?)", [text])
    conn.execute("INSERT INTO notes (text) VALUES ('a clean note')")
    conn.commit()
    conn.execute("DELETE FROM notes WHERE id = 1")
    conn.commit()
    conn.close()


def test_raw_bytes_catch_a_deleted_row_that_was_not_vacuumed(tmp_path):
    path = tmp_path / "old.db"
    _deleted_row_database(path, "Visit to Jodie Mensah at home")
    assert b"Jodie Mensah" in path.read_bytes()
    leaks, problems = check(path)
    assert problems == []
    assert len(leaks) == 1
    leak = leaks[0]
    assert (leak.path, leak.line, leak.found, leak.surface, leak.entity, leak.kind) == (
        str(path), 0, "Jodie Mensah", "Jodie Mensah", "Jodie Mensah", "raw-bytes"
    )
    assert path.read_bytes()[leak.column - 1:leak.column - 1 + 12] == b"Jodie Mensah"
    assert "Visit to Jodie Mensah at home" in leak.context

    # After VACUUM the free page is gone, and so is the leak.
    conn = sqlite3.connect(path)
    conn.execute("VACUUM")
    conn.close()
    assert check(path) == ([], [])


def test_live_rows_of_any_table_and_no_raw_repeats(tmp_path):
    path = tmp_path / "live.fnp"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("CREATE INDEX notes_text ON notes(text)")  # a second copy of the text in the file
    conn.execute("INSERT INTO notes VALUES ('Jodie rang')")
    # A table without rowids: its rows are named by their primary key.
    conn.execute("CREATE TABLE turns (doc INTEGER, seq INTEGER, speaker TEXT, PRIMARY KEY (doc, seq)) WITHOUT ROWID")
    conn.execute("INSERT INTO turns VALUES (1, 4, 'MENSAH')")
    conn.commit()
    conn.close()
    leaks, problems = check(path)
    assert problems == []
    assert found(leaks) == [
        (f"{path}:notes.text#1", 1, 1, "Jodie", "Jodie", "exact"),
        (f"{path}:turns.speaker#1,4", 1, 1, "MENSAH", "Mensah", "case-insensitive"),
    ]


def test_corrupt_project_reported_and_its_bytes_still_searched(tmp_path):
    path = write(tmp_path / "broken.fnp", b"not SQLite at all, but it names Mensah")
    leaks, problems = check(path)
    assert [(leak.line, leak.found, leak.kind) for leak in leaks] == [(0, "Mensah", "raw-bytes")]
    assert len(problems) == 1 and problems[0].startswith(f"{path}: its tables could not be read")


def test_bad_threshold_is_refused(tmp_path):
    with pytest.raises(ValueError, match="fuzzy_threshold"):
        check_leaks([tmp_path], SURFACES, fuzzy_threshold=0)


# --- a check that does not trust the register (issue 9, findings 5 and 6) ---------------

from click.testing import CliRunner  # noqa: E402

from fieldnotes.cli import load_commands  # noqa: E402
from fieldnotes.pseudonymise.leaks import check_outputs, scan  # noqa: E402

# The real report, in ../shared beside the repository.
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_fbd450078d389b5a.txt"
# Prose as an export would hold it: pseudonyms, roles, services, and one real
# name that the project never detected.
PLANTED = (
    "Interviewer: How did the visit go?\n\n"
    "[Social worker 2]: We went to see [Person 1] at home with the health visitor. "
    "Her new partner Darren Cole was there and said very little. "
    "The MASH had the referral from the school last week.\n"
)


def possible_texts(report) -> set[str]:
    return {" ".join(item.text.split()) for item in report.possible}


def empty_project(tmp_path) -> Project:
    return Project.create(tmp_path / "study.fnp")


def test_empty_register_flags_a_planted_full_name_in_txt_and_docx(tmp_path, nlp):
    import docx

    out = tmp_path / "out"
    write(out / "p1_interview.txt", PLANTED)
    document = docx.Document()
    for paragraph in PLANTED.split("\n\n"):
        document.add_paragraph(paragraph)
    document.save(str(out / "quotes.docx"))
    with empty_project(tmp_path) as project:
        report, _ = check_outputs(project, [out], nlp=nlp)
    assert report.leaks == [] and report.problems == []
    assert possible_texts(report) == {"Darren Cole"}
    (item,) = report.possible
    assert (item.path, item.line, item.category, item.count, item.files) == (
        str(out / "p1_interview.txt"), 3, "PERSON", 2, 2)
    assert "Her new partner Darren Cole was there" in item.context
    assert report.exit_code == 3


def test_pseudonyms_allowlist_and_decisions_are_not_possible_identifiers(tmp_path, nlp):
    path = write(tmp_path / "out" / "a.txt",
                 "Sophie Clarke met [Person 3] and Darren Cole in Northmoor. Kayden Price was at school.\n")
    report = scan([path], {}, nlp=nlp, pseudonyms=["Sophie Clarke", "[Person 3]"], ignore=["Northmoor"],
                  exclude=["Kayden Price"])
    assert possible_texts(report) == {"Darren Cole"}
    # Without the project's decisions, each of them would be listed.
    assert {"Sophie Clarke", "Kayden Price", "Darren Cole"} <= possible_texts(scan([path], {}, nlp=nlp))


def test_a_name_in_an_xlsx_cell_comment_header_footer_and_sheet_name_is_found(tmp_path, nlp):
    import openpyxl
    from openpyxl.comments import Comment

    path = tmp_path / "matrix.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet["A1"] = "Theme"
    sheet["B3"] = "[Person 1] said it was hard"
    sheet["B3"].comment = Comment("Check this with Jodie Mensah before the report goes out", "RA")
    sheet.oddHeader.center.text = "Case file of Kerry Lowe"
    sheet.oddFooter.right.text = "Page &P"
    book.create_sheet("Stacey Williams")
    book.save(path)
    known = {"Jodie Mensah": "Jodie Mensah", "Kerry Lowe": "Kerry Lowe", "Stacey Williams": "Stacey Williams"}
    report = scan([path], known, nlp=nlp)
    assert sorted((leak.path, leak.line, leak.column, leak.found) for leak in report.leaks) == [
        (f"{path}:Summary:comment B3", 3, 2, "Jodie Mensah"),
        (f"{path}:Summary:header and footer", 1, 14, "Kerry Lowe"),
        (f"{path}:sheet names", 2, 1, "Stacey Williams"),
    ]
    # And with a register that knows nothing, detection finds the same names.
    report = scan([path], {}, nlp=nlp)
    assert report.leaks == [] and report.problems == []
    assert {"Jodie Mensah", "Kerry Lowe", "Stacey Williams"} <= possible_texts(report)
    places = {" ".join(item.text.split()): item.path for item in report.possible}
    assert places["Jodie Mensah"] == f"{path}:Summary:comment B3"


def test_a_name_in_a_docx_header_footer_and_comment_is_found(tmp_path, nlp):
    import docx

    path = tmp_path / "quotes.docx"
    document = docx.Document()
    paragraph = document.add_paragraph("[Person 1] said the visit was fine.")
    document.add_comment(paragraph.runs, text="Is this really Jodie Mensah?", author="Anita Shah", initials="AS")
    section = document.sections[0]
    section.header.paragraphs[0].text = "Case notes: Kerry Lowe"
    section.footer.paragraphs[0].text = "Prepared for Stacey Williams"
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Participant"
    table.cell(0, 1).text = "Imran Qureshi"
    document.save(str(path))
    report = scan([path], {}, nlp=nlp)
    assert report.leaks == [] and report.problems == []
    places = {" ".join(item.text.split()): item.path for item in report.possible}
    assert places["Kerry Lowe"] == f"{path}:header1"
    assert places["Stacey Williams"] == f"{path}:footer1"
    assert places["Jodie Mensah"] == f"{path}:comments"
    assert places["Anita Shah"] == f"{path}:authors"  # who wrote the comment
    assert places["Imran Qureshi"] == str(path)
    # The known-names matcher reads the comment's author too.
    leaks = scan([path], {"Anita Shah": "Anita Shah"}, detect=False).leaks
    assert [(leak.path, leak.found) for leak in leaks] == [(f"{path}:authors", "Anita Shah")]


def test_names_in_file_names_and_archive_member_names_are_found(tmp_path, nlp):
    out = tmp_path / "out"
    write(out / "Jodie_Mensah_interview.txt", "[Person 1] was tired.\n")
    archive = out / "deposit.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("transcripts/Kerry-Lowe notes.md", "# Notes\n\n[Person 2] rang.\n")
    leaks, _ = check_leaks([out], {"Jodie Mensah": "Jodie Mensah", "Kerry Lowe": "Kerry Lowe"})
    assert sorted((leak.path, leak.column, leak.found) for leak in leaks) == [
        (f"{out / 'Jodie_Mensah_interview.txt'}:file name", 1, "Jodie Mensah"),
        (f"{archive}:transcripts/Kerry-Lowe notes.md:file name", 13, "Kerry Lowe"),
    ]
    report = scan([out], {}, nlp=nlp)
    places = {" ".join(item.text.split()): item.path for item in report.possible}
    assert places["Jodie Mensah"] == f"{out / 'Jodie_Mensah_interview.txt'}:file name"
    assert places["Kerry Lowe"] == f"{archive}:transcripts/Kerry-Lowe notes.md:file name"


def test_utf16_text_inside_a_project_file_is_found(tmp_path, nlp):
    # A blob holding UTF-16 text (as a Windows program writes it) in a live row.
    path = tmp_path / "safe.fnp"
    with Project.create(path) as project:
        project.memos.add("project", None, "[Person 1] was tired.")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE attachments (id INTEGER PRIMARY KEY, data BLOB)")
    conn.execute("INSERT INTO attachments (data) VALUES (?)",
                 [b"\xff\xfe" + "Visit to Darren Cole at home".encode("utf-16-le") + b"\x00\x00"])
    conn.commit()
    conn.close()
    assert b"Darren Cole" not in path.read_bytes()  # a UTF-8 search cannot see it
    report = scan([path], {"Darren Cole": "Darren Cole"}, nlp=nlp)
    assert [(leak.path, leak.found, leak.kind) for leak in report.leaks] == [
        (f"{path}:attachments.data#1", "Darren Cole", "exact")]
    assert "Darren Cole" in possible_texts(scan([path], {}, nlp=nlp))


def test_utf16_text_in_a_deleted_row_is_found_in_the_raw_bytes(tmp_path, nlp):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA encoding = 'UTF-16le'")
    conn.execute("PRAGMA secure_delete = OFF")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('Visit to Darren Cole at home')")
    conn.execute("INSERT INTO notes (text) VALUES ('a clean note about [Person 1]')")
    conn.commit()
    conn.execute("DELETE FROM notes WHERE id = 1")
    conn.commit()
    conn.close()
    assert "Darren Cole".encode("utf-16-le") in path.read_bytes()
    report = scan([path], {"Darren Cole": "Darren Cole"}, nlp=nlp)
    assert [(leak.path, leak.line, leak.found, leak.kind) for leak in report.leaks] == [
        (str(path), 0, "Darren Cole", "raw-bytes")]
    assert "to Darren Cole at home" in report.leaks[0].context  # its start is overwritten when freed
    assert "Darren Cole" in possible_texts(scan([path], {}, nlp=nlp))


def test_cli_exit_codes_0_clean_1_known_leak_3_possible_only(tmp_path):
    cli = load_commands()
    runner = CliRunner()
    project_path = tmp_path / "study.fnp"
    with Project.create(project_path) as project:
        project.intake.import_paths([write(tmp_path / "in" / "p1.txt", "Interviewer: Hello.\n\nJodie Mensah: Hello.\n")])
        project.memos.add("project", None, "check")
    with sqlite3.connect(project_path) as conn:  # the register knows Jodie Mensah, accepted
        pass
    with Project.open(project_path) as project:
        project.pseudonyms.detect_entities(pipeline="no_such_pipeline_installed")  # rules and gazetteer are enough here
        project.pseudonyms.set_entity_status(None, "accepted")
        assert "Jodie Mensah" in project.pseudonyms.leak_surfaces()
    clean = write(tmp_path / "clean" / "p1.txt", "Interviewer: Hello.\n\n[Person 1]: Hello, the MASH rang.\n")
    result = runner.invoke(cli, ["pseudo", "check-leaks", str(project_path), str(clean)])
    assert result.exit_code == 0, result.output
    assert "No leaks, no possible identifiers" in result.output
    possible = write(tmp_path / "possible" / "p1.txt", "[Person 1]: Her new partner Darren Cole was there.\n")
    result = runner.invoke(cli, ["pseudo", "check-leaks", str(project_path), str(possible)])
    assert result.exit_code == 3, result.output
    assert f"possible {possible}:1:" in result.output and "'Darren Cole'" in result.output
    known = write(tmp_path / "known" / "p1.txt", "[Person 1]: Jodie Mensah was there with Darren Cole.\n")
    result = runner.invoke(cli, ["pseudo", "check-leaks", str(project_path), str(known), "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [leak["found"] for leak in data["leaks"]] == ["Jodie Mensah"]
    assert [item["text"] for item in data["possible"]] == ["Darren Cole"] and data["exit_code"] == 1
    # --no-detect: the known names alone, as before.
    result = runner.invoke(cli, ["pseudo", "check-leaks", str(project_path), str(possible), "--no-detect"])
    assert result.exit_code == 0, result.output
    help_text = runner.invoke(cli, ["pseudo", "check-leaks", "--help"]).output
    assert "0  clean" in help_text and "3  no known names, but possible identifiers" in help_text


def test_key_log_csv_cells_are_neutralised_and_it_starts_sensitive(tmp_path, nlp):
    cli = load_commands()
    project_path = tmp_path / "study.fnp"
    with Project.create(project_path) as project:
        project.intake.import_paths([write(tmp_path / "in" / "=cmd.txt", "Ring her on +44 7700 900418 today.\n")])
        project.pseudonyms.detect_entities(nlp=nlp)
    key = tmp_path / "key.csv"
    result = CliRunner().invoke(cli, ["pseudo", "log", str(project_path), "--format", "csv", "-o", str(key)])
    assert result.exit_code == 0, result.output
    lines = key.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# SENSITIVE")
    import csv

    rows = list(csv.DictReader(lines[1:]))
    phone = next(row for row in rows if row["category"] == "PHONE")
    assert phone["document"] == "'=cmd.txt"
    assert phone["text"] == "'+44 7700 900418"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), row


def _seed_export(tmp_path, nlp) -> tuple[Path, Path]:
    project_path = tmp_path / "seed.fnp"
    source = write(tmp_path / "in" / "report.txt", SEED.read_text(encoding="utf-8"))
    with Project.create(project_path) as project:
        project.intake.import_paths([source])
        project.pseudonyms.detect_entities(nlp=nlp)
        project.pseudonyms.set_entity_status(None, "accepted")
        project.pseudonyms.export_texts(tmp_path / "out")
    return project_path, tmp_path / "out"


# Capitalised ordinary words of the report that detection has suggested as
# entities; none of them identifies anybody.
ORDINARY = ("Children", "Education", "Appendix", "Practice", "Workforce", "Research", "Department",
            "Background", "District", "Project", "Plan", "Influence", "Looked", "Programme", "County")


def only_ordinary(found: set[str]) -> list[str]:
    """The listed candidates whose capitalised words are all ordinary ones."""
    out = []
    for item in found:
        words = {re.sub(r"['’]s$", "", w) for w in re.findall(r"[A-Z][\w'’]*", item)}
        if words and words <= set(ORDINARY):
            out.append(item)
    return sorted(out)


@pytest.mark.skipif(not SEED.exists(), reason="the seed report is not in ../shared/seed")
def test_seed_report_export_flags_the_case_study_child_and_stays_short(tmp_path, nlp):
    project_path, out = _seed_export(tmp_path, nlp)
    assert "Ivy" not in (out / "report.txt").read_text(encoding="utf-8")  # detection now finds the child
    # Make detection miss her, as it once did: her entity wrongly cleared by a
    # reviewer, so all 11 mentions stay in a fresh export; the check must say so.
    with Project.open(project_path) as project:
        project.pseudonyms.set_entity_status([e.id for e in project.pseudonyms.entities() if "Ivy" in e.surfaces], "rejected")
        project.pseudonyms.export_texts(tmp_path / "missed")
    out = tmp_path / "missed"
    assert (out / "report.txt").read_text(encoding="utf-8").count("Ivy") == 11
    with Project.open(project_path) as project:
        report, _ = check_outputs(project, [out], nlp=nlp)
    found = {" ".join(item.text.split()): item for item in report.possible}
    assert "Ivy" in found and found["Ivy"].count == 11 and found["Ivy"].category == "PERSON"
    # Short enough to read: one line per distinct candidate, and few of them
    # (2 today: the child and "Christchurch and Poole", a place left in the clear).
    assert len(report.possible) <= 10, sorted(found)
    assert only_ordinary(found) == []


@pytest.mark.skipif(not SEED.exists(), reason="the seed report is not in ../shared/seed")
def test_seed_report_in_the_clear_lists_names_not_ordinary_words(tmp_path, nlp):
    # The worst case: the report itself, with a project that knows nothing.
    source = write(tmp_path / "report.txt", SEED.read_text(encoding="utf-8"))
    report = scan([source], {}, nlp=nlp)
    found = possible_texts(report)
    assert {"Ivy", "Sandra", "Sophie", "Becky", "Laura Gardner", "Claire Shiels"} <= found
    # A place named with ordinary words ("Dorset County") is listed for its
    # name; a line made of ordinary words alone never is.
    assert only_ordinary(found) == []
    # Each distinct name once (Sophie is named 22 times): under a hundred lines
    # for a 140,000-character report full of names.
    assert len(report.possible) < 100


def test_a_rejected_person_is_listed_again_a_rejected_place_is_not(tmp_path, nlp):
    source = write(tmp_path / "in" / "p1.txt",
                   "Interviewer: Who was there?\n\nAnita Shah: DC Sarah Hale came with me to Brindleford.\n")
    with Project.create(tmp_path / "study.fnp") as project:
        project.intake.import_paths([source])
        project.pseudonyms.detect_entities(nlp=nlp)
        people = {e.label: e for e in project.pseudonyms.entities()}
        assert {"Sarah Hale", "Brindleford"} <= set(people), sorted(people)
        project.pseudonyms.set_entity_status(["Sarah Hale", "Brindleford"], "rejected")
        project.pseudonyms.set_entity_status(None, "accepted")
        project.pseudonyms.export_texts(tmp_path / "out")
        report, _ = check_outputs(project, [tmp_path / "out"], nlp=nlp)
    assert report.leaks == []
    assert possible_texts(report) == {"Sarah Hale"}
    assert report.exit_code == 3


def test_dates_in_one_column_of_a_project_are_one_line(tmp_path, nlp):
    path = tmp_path / "safe.fnp"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE attributes (id INTEGER PRIMARY KEY, name TEXT, value TEXT, changed TEXT)")
    conn.executemany("INSERT INTO attributes (name, value, changed) VALUES (?, ?, ?)",
                     [("interview date", f"2025-06-{day:02d}", f"2026-11-29T19:38:{day:02d}+00:00")
                      for day in (3, 10, 17)])
    conn.commit()
    conn.close()
    report = scan([path], {}, nlp=nlp)
    assert [(item.path, item.category, item.text, item.count, item.others) for item in report.possible] == [
        (f"{path}:attributes.value#1", "DATE", "2025-06-03", 3, 2)]  # program timestamps are not listed


def test_first_names_that_are_ordinary_words_are_listed_only_when_used_as_names(tmp_path, nlp):
    path = write(tmp_path / "notes.txt",
                 "I will ring on Monday. Don't worry, she said. In May we met at school.\n"
                 "We saw 10-year-old Ivy at school; Ivy's mum was there. Later Ivy drew a dog.\n"
                 "Will you come? The hope is that it will help.\n")
    found = {item.text: item for item in scan([path], {}, nlp=nlp).possible}
    assert "Ivy" in found and found["Ivy"].count == 3 and found["Ivy"].category == "PERSON"
    assert not {"Will", "May", "Don", "Hope", "Monday"} & set(found), sorted(found)
    # The same word written in lower case in the same file is an ordinary word
    # there; in another file it hides nothing.
    write(tmp_path / "garden.txt", "The ivy on the wall needs cutting back. Ivy grows fast.\n")
    found = {item.text: item for item in scan([tmp_path], {}, nlp=nlp).possible}
    assert found["Ivy"].count == 3 and found["Ivy"].path == str(path)


def test_surrogate_names_of_the_project_are_not_possible_identifiers(tmp_path, nlp):
    source = write(tmp_path / "in" / "p1.txt",
                   "Interviewer: Tell me about the family.\n\n"
                   "Anita Shah: Jodie Mensah lives with Kayden in Hadley. Jodie rang Anita on Monday.\n")
    with Project.create(tmp_path / "study.fnp") as project:
        project.intake.import_paths([source])
        project.set_setting("pseudo_strategy", "surrogates")
        project.pseudonyms.detect_entities(nlp=nlp)
        project.pseudonyms.set_entity_status(None, "accepted")
        surrogates = [value for value in project.pseudonyms.replacements().values() if not value.startswith("[")]
        project.pseudonyms.export_texts(tmp_path / "out")
        exported = (tmp_path / "out" / "p1.txt").read_text(encoding="utf-8")
        assert surrogates and all(name in exported for name in surrogates if " " in name)
        write(tmp_path / "out" / "p1.txt", exported + "\nNote: Darren Cole called too.\n")
        report, _ = check_outputs(project, [tmp_path / "out"], nlp=nlp)
    assert report.leaks == []
    assert possible_texts(report) == {"Darren Cole"}
    # Detection does see the surrogates as names: it is the project's list that clears them.
    assert set(surrogates) & possible_texts(scan([tmp_path / "out"], {}, nlp=nlp))


def test_guids_are_not_possible_identifiers(tmp_path, nlp):
    """A safe copy keeps every row's GUID (REFI-QDA needs them): none of it,
    nor a part of one that reads like a reference number, is a finding."""
    path = write(tmp_path / "guids.txt", "73874788-1658-41c1-8a15-6e4aece6e121\n"
                                         "Darren Cole signed for 00412345-aaaa-4bbb-8ccc-123456789abc.\n")
    assert possible_texts(scan([path], {}, nlp=nlp)) == {"Darren Cole"}
