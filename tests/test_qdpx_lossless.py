"""fieldnotes -> .qdpx -> fieldnotes keeps fieldnotes' own data (issue 11,
finding 6): speaker turns, time codes, source formats and encodings travel in
the ``fieldnotes/extension.xml`` entry, which other programs ignore and which
leaves project.qde valid against Project.xsd."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from conftest import write
from fieldnotes.exchange.qdpx import EXTENSION_ENTRY, export_qdpx, import_qdpx
from fieldnotes.project import Project
from test_qdpx import schema  # noqa: F401  (the Project.xsd fixture)
from test_qdpx import snapshot as project_snapshot


def documents(project: Project) -> dict:
    out = {}
    for summary in project.documents():
        d = project.document(summary.name)
        out[d.name] = (d.kind, d.format, d.encoding, d.sha256, d.words, d.text,
                       [(t.speaker, t.start, t.end, t.time_start, t.time_end) for t in d.turns])
    return out


def test_demo_project_round_trip_is_identical(sample_project, tmp_path, schema):
    out = tmp_path / "study.qdpx"
    export_qdpx(sample_project, out, pseudonymised=False)
    with zipfile.ZipFile(out) as archive:
        schema.validate(archive.read("project.qde").decode("utf-8"))
        assert EXTENSION_ENTRY in archive.namelist()
    back, summary = import_qdpx(out, tmp_path / "back.fnp")
    try:
        assert summary.warnings == []
        before, after = documents(sample_project), documents(back)
        assert sum(len(d[6]) for d in after.values()) == sum(len(d[6]) for d in before.values()) == 498
        subtitles = [d for d in after.values() if d[1] in {"vtt", "srt"}]
        assert sum(t[3] is not None for d in subtitles for t in d[6]) == 101
        assert {d[1] for d in after.values()} == {"txt", "md", "docx", "vtt", "srt"}
        assert after == before
        assert project_snapshot(back) == project_snapshot(sample_project)
    finally:
        back.close()


VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Researcher>Can you tell me about the family?</v>

2
00:00:05.000 --> 00:00:09.500
<v Anita Shah>I visited Jodie Clarke on Monday. Jodie said she was tired.</v>

3
00:00:10.000 --> 00:00:12.000
<v Researcher>And the support?</v>

4
00:00:13.000 --> 00:00:18.000
<v Anita Shah>Mrs Mensah helps Jodie with the school run.</v>
"""


def test_pseudonymised_export_carries_pseudonymised_speakers_and_turns(tmp_path, nlp):
    with Project.create(tmp_path / "s.fnp") as project:
        project.intake.import_paths([write(tmp_path / "in" / "fg.vtt", VTT)])
        project.pseudonyms.detect_entities(nlp=nlp)
        project.pseudonyms.set_entity_status(None, "accepted")
        out = tmp_path / "safe.qdpx"
        export_qdpx(project, out)
        with zipfile.ZipFile(out) as archive:
            extension = archive.read(EXTENSION_ENTRY).decode("utf-8")
        for real in ("Anita", "Shah", "Jodie", "Mensah"):
            assert real not in extension
        assert 'format="vtt"' in extension and "originalSha256" not in extension
        text, mapping = project.pseudonyms.pseudonymised("fg.vtt")
        scrub = project.pseudonyms.string_pseudonymiser()
        expected = [(t.speaker, t.start, t.end, t.time_start, t.time_end)
                    for t in project.pseudonyms.pseudonymised_turns(project.document("fg.vtt").turns, mapping, scrub)]
        assert len(expected) == 4 and expected[1][3:] == (5.0, 9.5)
        assert expected[1][0] and expected[1][0] != "Anita Shah"
        back, summary = import_qdpx(out, tmp_path / "back.fnp")
        try:
            assert summary.warnings == []
            document = back.document("fg.vtt")
            assert document.text == text and document.format == "vtt"
            assert [(t.speaker, t.start, t.end, t.time_start, t.time_end) for t in document.turns] == expected
            # Each turn's label in the text is its speaker.
            for t in document.turns:
                assert document.text[:t.start].endswith(f"{t.speaker}: ")
        finally:
            back.close()


def rewrite(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            data = change(info.filename, original.read(info))
            if data is not None:
                out.writestr(info, data)
    return target


@pytest.fixture
def exported_vtt(tmp_path) -> Path:
    with Project.create(tmp_path / "s.fnp") as project:
        project.intake.import_paths([write(tmp_path / "in" / "fg.vtt", VTT)])
        export_qdpx(project, tmp_path / "x.qdpx", pseudonymised=False)
    return tmp_path / "x.qdpx"


def test_without_the_extension_a_file_imports_as_a_foreign_one(exported_vtt, tmp_path):
    bare = rewrite(exported_vtt, tmp_path / "bare.qdpx", lambda name, data: None if name == EXTENSION_ENTRY else data)
    back, summary = import_qdpx(bare, tmp_path / "back.fnp")
    try:
        assert summary.warnings == []
        assert back.document("fg.vtt").format == "txt"
        assert all(t.time_start is None for t in back.document("fg.vtt").turns)
    finally:
        back.close()


def test_edited_text_is_not_given_turns_made_for_another_text(exported_vtt, tmp_path):
    def edit(name, data):
        return data.replace(b"Monday", b"Tuesday, after lunch") if name.startswith("sources/") else data

    edited = rewrite(exported_vtt, tmp_path / "edited.qdpx", edit)
    back, summary = import_qdpx(edited, tmp_path / "back.fnp")
    try:
        assert any("not the one fieldnotes exported" in w for w in summary.warnings)
        document = back.document("fg.vtt")
        assert "Tuesday, after lunch" in document.text and document.format == "txt"
    finally:
        back.close()


def test_damaged_extension_is_reported_and_the_import_goes_on(exported_vtt, tmp_path):
    damaged = rewrite(exported_vtt, tmp_path / "damaged.qdpx",
                      lambda name, data: b"<FieldnotesExtension><Source" if name == EXTENSION_ENTRY else data)
    back, summary = import_qdpx(damaged, tmp_path / "back.fnp")
    try:
        assert any(re.search(r"could not be read .*not well-formed", w) for w in summary.warnings)
        assert back.document("fg.vtt").text.startswith("Researcher: Can you tell me")
    finally:
        back.close()
