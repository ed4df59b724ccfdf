"""Every importer accounts for all of its input (issue 11, finding 3), and
manifests lose no column or cell in silence (finding 9).

The word check reads each fixture with a simple, independent oracle (its
paragraphs; a subtitle file's lines that are neither header, cue number nor
time code) and compares the words with what the project stored.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import SAMPLE, write
from fieldnotes.errors import FieldnotesError
from fieldnotes.manifest import read_manifest
from makefiles import make_docx, make_odt

_TIMING_LINE = re.compile(r"-->|^\s*\d[\dOo:.,]*\s*-+>")


def stored_words(project, name: str) -> Counter:
    return Counter(project.document(name).text.split())


def spoken_words(project, name: str) -> Counter:
    """The words inside the document's speaker turns (labels excluded)."""
    document = project.document(name)
    return Counter(w for t in document.turns for w in document.text[t.start:t.end].split())


_LABEL = re.compile(r"^[A-Z][\w'’.-]*(?:,? [A-Z\d][\w'’.-]*){0,3}:\s")


def subtitle_words(text: str) -> Counter:
    """The words spoken in a subtitle file: every line except the WEBVTT
    header, cue numbers and identifiers, and time-code lines, without voice
    tags or a leading "Name:" label."""
    words: list[str] = []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines or lines[0].startswith("WEBVTT"):
            continue
        timing = next((i for i, line in enumerate(lines) if _TIMING_LINE.search(line)), None)
        spoken = lines[timing + 1:] if timing is not None else lines
        if timing is None and spoken[0].strip().isdigit():
            spoken = spoken[1:]  # a cue number
        for line in spoken:
            voiced = "<v" in line
            line = html.unescape(re.sub(r"</?[a-zA-Z][^>]*>", "", line)).strip()
            if not voiced:
                line = _LABEL.sub("", line)
            words.extend(line.split())
    return Counter(words)


VTT_TYPOS = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Researcher>So tell me about the duty desk on a Monday.</v>

2
00:00:05.000 --> 00:00:0x.500
<v Anita Shah>It is relentless, honestly, twelve referrals before lunch.</v>

3
00:00:09.000 -> 00:00:12.000
<v Anita Shah>And the managers change every few months.</v>

4
00:00:13.000 --> 00:00:1O.000
<v Researcher>How does that feel for the families?</v>

5
00:0016.000 --> 00:00:19.000
<v Anita Shah>They stop trusting us, and who could blame them.</v>
"""

SRT_TYPOS = """1
00:00:01,000 --> 00:00:04,000
Interviewer: How long have you been qualified?

2
00:00:05,000 -> 00:00:08,000
Social worker: Five years in March, all of it in child protection.

3
00:00:09;000 --> 00:00:12,000
Interviewer: And supervision?

4
Social worker: Monthly, when it happens at all.
"""


def test_vtt_with_mistyped_time_codes_keeps_every_cue_and_names_the_lines(project, tmp_path):
    path = write(tmp_path / "typos.vtt", VTT_TYPOS)
    report = project.intake.import_paths([path])
    (outcome,) = report.outcomes
    assert outcome.status == "imported"
    assert spoken_words(project, "typos.vtt") == subtitle_words(VTT_TYPOS)
    assert len(outcome.warnings) == 1
    warning = outcome.warnings[0]
    for line in ("8", "12", "16", "20"):
        assert re.search(rf"\b{line}\b", warning), (line, warning)
    assert "line 4" not in warning
    # The readable time codes are kept: the first turn starts at 1 s.
    turns = project.document("typos.vtt").turns
    assert turns[0].time_start == 1.0


def test_srt_with_mistyped_time_codes_keeps_every_cue(project, tmp_path):
    path = write(tmp_path / "typos.srt", SRT_TYPOS)
    (outcome,) = project.intake.import_paths([path]).outcomes
    assert outcome.status == "imported"
    assert spoken_words(project, "typos.srt") == subtitle_words(SRT_TYPOS)
    assert outcome.warnings and "line" in outcome.warnings[0]


def test_demo_focus_group_with_three_typos_loses_no_word(project, tmp_path):
    source = (SAMPLE / "p2_fg_managers.vtt").read_text(encoding="utf-8")
    stamps = re.findall(r"\d\d:\d\d:\d\d\.\d\d\d", source)
    broken = source
    for stamp, typo in zip(stamps[10:40:10], ("O", "x", ";")):
        broken = broken.replace(stamp, stamp[:-2] + typo + stamp[-1], 1)
    path = write(tmp_path / "fg.vtt", broken)
    (outcome,) = project.intake.import_paths([path]).outcomes
    assert outcome.status == "imported"
    assert spoken_words(project, "fg.vtt") == subtitle_words(source)
    assert "3 cue(s)" in outcome.warnings[0]


def test_every_word_of_each_format_is_stored(project, tmp_path):
    paragraphs = [
        "Interviewer: How many families are on your caseload at the moment?",
        "SW: Twenty-four, which is too many — nobody can reflect properly.",
        "Interviewer: And the leadership?",
        "SW: Three managers in a year; “supervision” is a phone call.",
    ]
    table = [["Name", "Role"], ["Dev", "Team manager"]]
    tmp_path = tmp_path / "in"
    tmp_path.mkdir()
    make_docx(tmp_path / "a.docx", paragraphs + [table])
    make_odt(tmp_path / "b.odt", paragraphs, heading="Interview 3")
    text = "\n".join(paragraphs) + "\n\n  Odd   spacing\tand\ttabs stay words.\n"
    write(tmp_path / "c.txt", text)
    write(tmp_path / "d.md", "# Visit notes\n\n" + text)
    vtt = "WEBVTT\n\n" + "".join(
        f"{i}\n00:00:{i:02d}.000 --> 00:00:{i:02d}.900\n<v Speaker {i % 2}>{p}</v>\n\n" for i, p in enumerate(paragraphs)
    )
    srt = "".join(f"{i + 1}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\n{p}\n\n" for i, p in enumerate(paragraphs))
    write(tmp_path / "e.vtt", vtt)
    write(tmp_path / "f.srt", srt)
    report = project.intake.import_paths([tmp_path])
    assert not report.failed, [(o.path, o.message) for o in report.failed]
    table_words = Counter(w for row in table for cell in row for w in cell.split())
    expected = {
        "a.docx": Counter(" ".join(paragraphs).split()) + table_words,
        "b.odt": Counter(("Interview 3 " + " ".join(paragraphs)).split()),
        "c.txt": Counter(text.split()),
        "d.md": Counter(("# Visit notes " + text).split()),
        "e.vtt": subtitle_words(vtt),
        "f.srt": subtitle_words(srt),
    }
    for name, words in expected.items():
        stored = spoken_words if name.endswith((".vtt", ".srt")) else stored_words
        assert stored(project, name) == words, name


def test_every_word_of_the_sample_data_is_stored(sample_project):
    import docx
    from docx.oxml.ns import qn

    for path in sorted(SAMPLE.iterdir()):
        if path.suffix in {".txt", ".md"} and path.name != "README.md":
            expected = Counter(path.read_text(encoding="utf-8").split())
        elif path.suffix in {".vtt", ".srt"}:
            assert spoken_words(sample_project, path.name) == subtitle_words(path.read_text(encoding="utf-8"))
            continue
        elif path.suffix == ".docx":
            body = docx.Document(str(path)).element.body
            paragraphs = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]
            expected = Counter(" ".join(paragraphs).split())
        else:
            continue
        assert stored_words(sample_project, path.name) == expected, path.name


# -- manifests -----------------------------------------------------------------------


def test_manifest_columns_differing_only_in_case_are_refused_by_name(tmp_path):
    path = write(tmp_path / "m.csv", "file,Role,role,ROLE\na.txt,SW,Manager,EH\n")
    with pytest.raises(FieldnotesError) as caught:
        read_manifest(path)
    message = str(caught.value)
    assert "'Role' (column B) and 'role' (column C)" in message
    assert "'ROLE' (column D)" in message
    assert "\n" not in message


def test_manifest_columns_differing_in_spaces_are_refused(tmp_path):
    path = write(tmp_path / "m.csv", "file,Years qualified,years_qualified\na.txt,5,6\n")
    with pytest.raises(FieldnotesError, match="Years qualified"):
        read_manifest(path)


def test_distinct_manifest_columns_still_read(tmp_path):
    path = write(tmp_path / "m.csv", "file,Role,Team\na.txt,SW,Duty\n")
    manifest = read_manifest(path)
    assert manifest.rows["a.txt"].attributes == {"role": "SW", "team": "Duty"}


def test_xlsx_formula_without_a_saved_value_is_refused_naming_the_cell(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["file", "years", "total"])
    sheet.append(["a.txt", 5, "=B2*2"])
    sheet.append(["b.txt", 3, 7])
    workbook.save(tmp_path / "m.xlsx")
    with pytest.raises(FieldnotesError) as caught:
        read_manifest(tmp_path / "m.xlsx")
    assert "C2" in str(caught.value) and "=B2*2" in str(caught.value)


def test_xlsx_without_formulas_still_reads(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["file", "years"])
    sheet.append(["a.txt", 5])
    workbook.save(tmp_path / "m.xlsx")
    assert read_manifest(tmp_path / "m.xlsx").rows["a.txt"].attributes == {"years": 5}


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
HIDDEN_PLACES = (
    # a tracked insertion, and a deletion whose words are gone from the document
    '<w:p><w:r><w:t xml:space="preserve">Interviewer: and the </w:t></w:r><w:ins w:id="1" w:author="T">'
    '<w:r><w:t>caseload</w:t></w:r></w:ins><w:del w:id="2" w:author="T"><w:r><w:delText>workload</w:delText>'
    "</w:r></w:del><w:r><w:t>?</w:t></w:r></w:p>"
    # a block content control (as Word templates use for form fields)
    '<w:sdt><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>SW: Twenty-four families, honestly.</w:t></w:r></w:p>'
    "</w:sdtContent></w:sdt>"
    # a text box anchored in a paragraph, with the fallback copy Word also writes
    '<w:p><w:r><w:t>Interviewer: Supervision?</w:t></w:r><w:r><mc:AlternateContent '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice Requires="wps">'
    "<w:drawing><w:txbxContent><w:p><w:r><w:t>Margin note: monthly at best</w:t></w:r></w:p></w:txbxContent>"
    "</w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Margin note: monthly at best"
    "</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
)


def test_docx_words_in_tracked_insertions_content_controls_and_text_boxes_are_kept(project, tmp_path):
    import zipfile

    from makefiles import inflate_member

    template = make_docx(tmp_path / "template.docx", ["SW: Rare."])
    xml = zipfile.ZipFile(template).read("word/document.xml").decode()
    at = xml.index("<w:body>") + len("<w:body>")
    (tmp_path / "in").mkdir()
    path = inflate_member(template, tmp_path / "in" / "tracked.docx", "word/document.xml", xml[:at].encode(),
                          HIDDEN_PLACES.encode(), 1, xml[at:].encode())
    (outcome,) = project.intake.import_paths([path]).outcomes
    assert outcome.status == "imported", outcome.message
    expected = Counter(
        "Interviewer: and the caseload? SW: Twenty-four families, honestly. Interviewer: Supervision? "
        "Margin note: monthly at best SW: Rare.".split())
    assert stored_words(project, "tracked.docx") == expected


def test_cues_without_a_blank_line_between_them_are_still_separate(project, tmp_path):
    text = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Researcher>How long have you been in the team?</v>\n"
            "2\n00:00:03.000 --> 00:00:06.000\n<v Anita Shah>Three years, two managers ago.</v>\n")
    (outcome,) = project.intake.import_paths([write(tmp_path / "joined.vtt", text)]).outcomes
    assert outcome.status == "imported" and outcome.warnings == []
    document = project.document("joined.vtt")
    assert [(t.speaker, t.time_start) for t in document.turns] == [("Researcher", 1.0), ("Anita Shah", 3.0)]
    assert "-->" not in document.text
    assert spoken_words(project, "joined.vtt") == subtitle_words(text.replace("\n2\n", "\n\n2\n"))


def test_manifest_values_under_no_heading_are_refused_with_their_line(tmp_path):
    path = write(tmp_path / "m.csv", "file,role,\n\na.txt,SW,\nb.txt,Manager,Team B\nc.txt,EH,,extra\n")
    with pytest.raises(FieldnotesError) as caught:
        read_manifest(path)
    message = str(caught.value)
    assert "line 4: the value 'Team B' in column C has no column heading" in message
    assert "line 5: the value 'extra' in column D" in message


def test_xlsx_formula_whose_saved_result_is_empty_text_is_not_refused(tmp_path):
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["file", "years", "note"])
    workbook.active.append(["a.txt", 5, '=IF(B2>10,"long","")'])
    workbook.save(tmp_path / "script.xlsx")
    # As Excel saves it: the result, an empty string, stored with t="str".
    with zipfile.ZipFile(tmp_path / "script.xlsx") as source, \
            zipfile.ZipFile(tmp_path / "m.xlsx", "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="C2"[^>]*>(<f>.*?</f>)<v\s*/?>(</v>)?</c>', rb'<c r="C2" t="str">\1<v></v></c>',
                              data)
                assert b't="str"' in data
            target.writestr(info, data)
    assert read_manifest(tmp_path / "m.xlsx").rows["a.txt"].attributes == {"years": 5}
