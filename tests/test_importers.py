"""Each importer on real files made here, and every kind of bad input."""

import codecs
import zipfile

import pytest

from conftest import write
from fieldnotes.importers import ParseError, parse
from fieldnotes.importers.turns import detect_turns
from makefiles import make_docx, make_odt, make_pdf, make_scanned_pdf

TRANSCRIPT = "Interviewer: How is your caseload?\nSW: Um, heavy. Twenty-four.\n\nInterviewer: And supervision?\nSW: Monthly, if that.\n"


# -- plain text: encodings and offsets ----------------------------------------

def test_utf8_text_is_stored_as_is(tmp_path):
    doc = parse(write(tmp_path / "a.txt", TRANSCRIPT))
    assert doc.text == TRANSCRIPT
    assert doc.encoding == "utf-8"
    assert [t.speaker for t in doc.turns] == ["Interviewer", "SW", "Interviewer", "SW"]
    assert doc.text[doc.turns[1].start:doc.turns[1].end] == "Um, heavy. Twenty-four."


def test_utf8_bom_is_removed_and_offsets_match_the_file(tmp_path):
    doc = parse(write(tmp_path / "a.txt", codecs.BOM_UTF8 + "Mum: Café time\nSW: ok\nMum: yes\n".encode()))
    assert doc.text == "Mum: Café time\nSW: ok\nMum: yes\n"
    assert doc.encoding == "utf-8-sig"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path, codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    doc = parse(write(tmp_path / "a.txt", bom + TRANSCRIPT.replace("\n", "\r\n").encode(codec)))
    assert doc.text == TRANSCRIPT
    assert doc.encoding == "utf-16"


def test_cp1252_falls_back_with_a_warning(tmp_path):
    text = "Interviewer: Was it \u201cfine\u201d?\nSW: Na\u00efve, me? \u00a35 says no.\n"
    doc = parse(write(tmp_path / "a.txt", text.encode("cp1252")))
    assert doc.text == text
    assert doc.encoding == "cp1252"
    assert any("Windows-1252" in w for w in doc.warnings)


def test_crlf_and_cr_newlines_become_lf_and_nothing_else_changes(tmp_path):
    raw = "Interviewer:  two  spaces\r\nSW:\ttab\rInterviewer: end\r\nSW: x"
    doc = parse(write(tmp_path / "a.txt", raw))
    assert doc.text == raw.replace("\r\n", "\n").replace("\r", "\n")
    # An offset into the stored text finds the same words as in the file.
    assert doc.text.index("tab") == raw.replace("\r\n", "\n").index("tab")


def test_markdown_is_imported_as_md(tmp_path):
    doc = parse(write(tmp_path / "notes.md", "# Visit\n\n10:42 Arrived.\n\nNote: dog barking.\n"))
    assert doc.format == "md"
    assert doc.turns == []


# -- speaker turns ---------------------------------------------------------------

@pytest.mark.parametrize(
    "label",
    ["Interviewer", "SW", "Mum", "INTERVIEWER", "Anita Shah", "Speaker 1", "DC Hale", "Social worker"],
)
def test_speaker_labels_are_recognised(label):
    text = f"{label}: first thing\nOther: reply\n{label}: second thing\nOther: reply again\n"
    turns = detect_turns(text)
    assert [t.speaker for t in turns][:1] == [label]
    assert text[turns[0].start:turns[0].end] == "first thing"


def test_timestamped_labels_keep_their_time():
    text = "[00:01:02] Speaker 1: Hello there.\n[00:01:09] Interviewer: Hi.\n[00:01:15] Speaker 1: So.\n[00:01:20] Interviewer: Go on.\n"
    turns = detect_turns(text)
    assert [t.speaker for t in turns] == ["Speaker 1", "Interviewer", "Speaker 1", "Interviewer"]
    assert turns[0].time_start == 62.0
    assert text[turns[0].start:turns[0].end] == "Hello there."


def test_observation_notes_lines_are_not_turns():
    text = (
        "10:42 Arrived at the house.\n"
        "Note: the dog was barking throughout.\n"
        "11:05\nLeft. Anita said: \"that went well\".\n"
        "Note: Anita wrote up the visit in the car.\n"
        "Time: 11:30\n"
    )
    assert detect_turns(text) == []


def test_one_off_lowercase_phrase_is_not_a_speaker_but_a_focus_group_member_is():
    text = (
        "Interviewer: Welcome.\nMark Ellison: Thanks.\nInterviewer: Carys?\nMark Ellison: She is late.\n"
        "Dev Malhotra: Sorry, here now.\nHe said: nothing at all.\n"
    )
    speakers = [t.speaker for t in detect_turns(text)]
    assert "Dev Malhotra" in speakers
    assert "He said" not in speakers


def test_multi_paragraph_turn_runs_to_next_label():
    text = "Interviewer: Q?\n\nSW: First paragraph.\n\nSecond paragraph.\n\nInterviewer: Next?\nSW: Yes.\n"
    turns = detect_turns(text)
    assert text[turns[1].start:turns[1].end] == "First paragraph.\n\nSecond paragraph."


# -- docx, odt, pdf ----------------------------------------------------------------

def test_docx_paragraphs_and_tables_in_document_order(tmp_path):
    path = make_docx(tmp_path / "t.docx", [
        "Interview transcript",
        [["Date", "17 June 2025"], ["Site", "Shrewsbury"]],
        "INTERVIEWER: How are things?",
        "BEN: Busy. Agency staff keep leaving.",
        "INTERVIEWER: And travel?",
        "BEN: Ludlow is an hour each way.",
    ])
    doc = parse(path)
    assert doc.format == "docx"
    assert doc.text.index("Interview transcript") < doc.text.index("17 June 2025") < doc.text.index("How are things")
    assert "Date\t17 June 2025" in doc.text
    assert [t.speaker for t in doc.turns] == ["INTERVIEWER", "BEN", "INTERVIEWER", "BEN"]
    assert doc.text[doc.turns[3].start:doc.turns[3].end] == "Ludlow is an hour each way."


def test_odt_is_read_in_order(tmp_path):
    path = make_odt(tmp_path / "n.odt", ["Interviewer: One?", "Claire: Two.", "Interviewer: Three?", "Claire: Four."], heading="Phase 2")
    doc = parse(path)
    assert doc.format == "odt"
    assert doc.text.startswith("Phase 2\n\nInterviewer: One?")
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Claire", "Interviewer", "Claire"]


def test_pdf_with_text(tmp_path):
    doc = parse(make_pdf(tmp_path / "t.pdf", ["Interviewer: Tell me about supervision.", "SW: It is rushed.",
                                              "Interviewer: Why?", "SW: Caseload."]))
    assert doc.format == "pdf"
    assert "Tell me about supervision." in doc.text
    assert [t.speaker for t in doc.turns] == ["Interviewer", "SW", "Interviewer", "SW"]


def test_scanned_pdf_gets_a_clear_error(tmp_path):
    with pytest.raises(ParseError, match="scanned PDF.*OCR"):
        parse(make_scanned_pdf(tmp_path / "scan.pdf"))


# -- subtitles ----------------------------------------------------------------------

VTT = """WEBVTT

1
00:00:03.120 --> 00:00:07.880
<v Hughes, Carys>We had three managers</v>

2
00:00:07.900 --> 00:00:09.000
<v Hughes, Carys>in one year.</v>

3
00:00:09.500 --> 00:00:12.250
<v Mark Ellison>And nobody told the families &amp; carers.</v>

4
00:00:12.500 --> 00:00:14.000
<v Hughes, Carys>Exactly.</v>
"""


def test_vtt_voice_tags_merge_consecutive_cues_and_keep_time_codes(tmp_path):
    doc = parse(write(tmp_path / "fg.vtt", VTT))
    assert [t.speaker for t in doc.turns] == ["Hughes, Carys", "Mark Ellison", "Hughes, Carys"]
    first = doc.turns[0]
    assert doc.text[first.start:first.end] == "We had three managers in one year."
    assert (first.time_start, first.time_end) == (3.12, 9.0)
    assert doc.text.startswith("Hughes, Carys: We had three managers in one year.\n\nMark Ellison: And nobody told the families & carers.")


def test_vtt_with_name_prefixes_instead_of_voice_tags(tmp_path):
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nInterviewer: Hello.\n\n00:00:02.500 --> 00:00:04.000\nMum: Hi.\n\n00:00:04.500 --> 00:00:05.000\nstill me.\n"
    doc = parse(write(tmp_path / "i.vtt", text))
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Mum"]
    assert doc.text[doc.turns[1].start:doc.turns[1].end] == "Hi. still me."


def test_srt_with_speaker_prefixes(tmp_path):
    text = (
        "1\n00:00:01,000 --> 00:00:04,500\nInterviewer: How is Billy?\n\n"
        "2\n00:00:05,000 --> 00:00:08,000\nStacey: He's settled,\nmostly.\n\n"
        "3\n00:00:08,100 --> 00:00:09,000\nStacey: Ben calls back.\n"
    )
    doc = parse(write(tmp_path / "i.srt", text))
    assert doc.format == "srt"
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Stacey"]
    stacey = doc.turns[1]
    assert doc.text[stacey.start:stacey.end] == "He's settled, mostly. Ben calls back."
    assert stacey.time_start == 5.0 and stacey.time_end == 9.0


def test_malformed_vtt_is_refused(tmp_path):
    with pytest.raises(ParseError, match="not a valid WebVTT"):
        parse(write(tmp_path / "bad.vtt", "this is not a subtitle file\n"))


# -- bad input -------------------------------------------------------------------------

def test_binary_file_is_refused(tmp_path):
    with pytest.raises(ParseError, match="binary"):
        parse(write(tmp_path / "b.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t"])
def test_empty_file_is_refused(tmp_path, content):
    with pytest.raises(ParseError, match="empty"):
        parse(write(tmp_path / "e.txt", content))


def test_undecodable_file_is_refused(tmp_path):
    # 0x81 is undefined in cp1252 and invalid as UTF-8 here.
    with pytest.raises(ParseError, match="neither UTF-8 nor Windows-1252"):
        parse(write(tmp_path / "u.txt", b"Interviewer: caf\x81\x8d\n"))


def test_corrupt_docx_is_refused(tmp_path):
    with pytest.raises(ParseError, match="not a readable Word document"):
        parse(write(tmp_path / "c.docx", b"PK\x03\x04 definitely not a zip"))


def test_zip_that_is_not_a_docx_is_refused(tmp_path):
    path = tmp_path / "z.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ParseError, match="not a readable Word document"):
        parse(path)


def test_corrupt_odt_is_refused(tmp_path):
    with pytest.raises(ParseError, match="OpenDocument"):
        parse(write(tmp_path / "c.odt", b"not a zip at all"))


def test_corrupt_pdf_is_refused(tmp_path):
    with pytest.raises(ParseError, match="PDF"):
        parse(write(tmp_path / "c.pdf", b"%PDF-1.4 garbage garbage"))


def test_unsupported_extension_names_the_formats(tmp_path):
    with pytest.raises(ParseError, match=r"unsupported file type '\.doc' \(save it as \.docx\)"):
        parse(write(tmp_path / "old.doc", b"whatever"))
