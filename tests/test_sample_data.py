"""The shipped demo study is what the README promises."""

import csv

from conftest import SAMPLE


def test_sample_study_shape(sample_project):
    docs = sample_project.documents()
    assert len(docs) >= 12
    assert {d.attributes["phase"] for d in docs} == {1, 2, 3}
    assert {d.format for d in docs} >= {"txt", "md", "docx", "vtt", "srt"}
    kinds = [d.kind for d in docs]
    assert kinds.count("observation") >= 3 and "focus_group" in kinds
    for d in docs:
        assert 800 <= d.words <= 2500, (d.name, d.words)
        assert d.kind == "observation" or d.turns >= 10, (d.name, d.turns)
    roles = {d.attributes["role"] for d in docs}
    assert {"SW CP", "SW LAC", "SW Fostering", "Team manager", "Parent", "Early Help stakeholder"} <= roles


def test_manifest_lists_every_document_file():
    with open(SAMPLE / "manifest.csv", newline="") as fh:
        listed = {row["file"] for row in csv.DictReader(fh)}
    on_disk = {p.name for p in SAMPLE.iterdir() if p.suffix in {".txt", ".md", ".docx", ".vtt", ".srt"} and p.name != "README.md"}
    assert listed == on_disk


def test_focus_group_speakers_come_from_voice_tags(sample_project):
    doc = sample_project.document("p2_fg_managers.vtt")
    speakers = {t.speaker for t in doc.turns}
    assert "Hughes, Carys" in speakers and len(speakers) >= 4
    assert all(t.time_start is not None for t in doc.turns)


def test_observation_notes_have_no_speaker_turns(sample_project):
    for name in ("p1_obs_homevisit01.md", "p2_obs_duty01.txt", "p3_obs_homevisit02.txt"):
        assert sample_project.document(name).turns == (), name
