"""project.study: the study's key attributes and each coder's pinned codes,
and the import line the workspace asks for (parse_import_request)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fieldnotes.cli import load_commands
from fieldnotes.errors import FieldnotesError
from fieldnotes.manifest import parse_import_request
from fieldnotes.study import DEFAULT_KEY_ATTRIBUTES

cli = load_commands()


# -- key attributes ---------------------------------------------------------------------


def test_key_attributes_default_to_those_the_project_has(sample_project, project):
    assert sample_project.study.key_attributes() == list(DEFAULT_KEY_ATTRIBUTES)
    assert sample_project.study.key_attributes(limit=2) == ["phase", "role"]
    assert project.study.key_attributes() == []  # no attributes yet: none to show


def test_key_attributes_follow_the_setting_and_skip_unknown_names(sample_project):
    sample_project.set_setting("key_attributes", "site, date ,nosuch,phase")
    assert sample_project.study.key_attributes() == ["site", "date", "phase"]
    assert sample_project.study.ordered_attributes(["team", "phase", "date", "site", "role"]) == \
        ["site", "date", "phase", "role", "team"]


def test_setting_key_attributes_refuses_an_unknown_one_with_a_suggestion(sample_project):
    with pytest.raises(FieldnotesError, match=r"No attribute 'phse'\. Did you mean 'phase'\?"):
        sample_project.study.set_key_attributes("role, phse")
    assert sample_project.setting("key_attributes") is None
    assert sample_project.study.set_key_attributes(["role", "site"]) == ["role", "site"]
    assert sample_project.setting("key_attributes") == "role,site"


def test_cli_documents_table_leads_with_the_key_attributes(sample_project, monkeypatch):
    from rich.console import Console

    import fieldnotes.cli

    # A console wide enough that no header folds (the CLI keeps one console).
    monkeypatch.setitem(fieldnotes.cli._consoles, "out", Console(highlight=False, soft_wrap=True, width=300))
    path = str(sample_project.path)
    default = CliRunner().invoke(cli, ["documents", path], catch_exceptions=False).output
    sample_project.study.set_key_attributes("site,role")
    chosen = CliRunner().invoke(cli, ["documents", path], catch_exceptions=False).output

    def attribute_header(output):
        header = next(line for line in output.splitlines() if "document" in line and "kind" in line)
        return [cell.strip() for cell in header.strip("┃│ ").replace("┃", "│").split("│")][6:]

    assert attribute_header(default) == ["phase", "role", "years qualified", "team", "site", "date"]
    assert attribute_header(chosen) == ["site", "role", "date", "phase", "team", "years qualified"]


# -- pins --------------------------------------------------------------------------------


def test_pins_are_per_coder_by_guid_and_follow_a_renamed_code(sample_project):
    study = sample_project.study
    sample_project.codebook.add_code("Caseload and time/Caseload")
    sample_project.codebook.add_code("Supervision")
    assert study.toggle_pin("Caseload", coder="anna") == 1
    assert study.toggle_pin("Supervision", coder="anna") == 2
    assert study.pinned_codes(coder="anna") == ["Caseload and time/Caseload", "Supervision"]
    assert study.pinned_codes(coder="ben") == []
    sample_project.codebook.rename_code("Supervision", "Reflective supervision")
    assert study.pinned_codes(coder="anna") == ["Caseload and time/Caseload", "Reflective supervision"]
    assert study.toggle_pin("Caseload and time/Caseload", coder="anna") is None
    assert study.pinned_codes(coder="anna") == ["Reflective supervision"]
    sample_project.codebook.delete_code("Reflective supervision", force=True)
    assert study.pinned_codes(coder="anna") == []


def test_pins_saved_for_everyone_before_still_count_until_a_coder_pins(sample_project):
    code = sample_project.codebook.add_code("Caseload")
    sample_project.set_setting("pinned_codes", json.dumps([code.guid]))
    assert sample_project.study.pinned_codes(coder="anna") == ["Caseload"]
    sample_project.study.set_pinned_codes([], coder="anna")
    assert sample_project.study.pinned_codes(coder="anna") == []
    assert sample_project.study.pinned_codes(coder="ben") == ["Caseload"]


def test_at_most_nine_pins_and_a_broken_setting_is_no_pins(sample_project):
    paths = [sample_project.codebook.add_code(f"Code {n}").path for n in range(10)]
    sample_project.study.set_pinned_codes(paths[:9], coder="anna")
    with pytest.raises(FieldnotesError, match="9 codes are pinned already; unpin one first"):
        sample_project.study.toggle_pin(paths[9], coder="anna")
    with pytest.raises(FieldnotesError, match="At most 9 codes"):
        sample_project.study.set_pinned_codes(paths, coder="anna")
    sample_project.set_setting("pinned_codes:ben", "not json")
    assert sample_project.study.pinned_codes(coder="ben") == []


# -- the import line -----------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "expected"), [
    ("transcripts/", ("transcripts", None)),
    ("Phase 2 transcripts --manifest people.csv", ("Phase 2 transcripts", "people.csv")),
    ("'Phase 2 transcripts' --manifest=\"my people.csv\"", ("Phase 2 transcripts", "my people.csv")),
    ("  a.docx   --manifest   m.xlsx  ", ("a.docx", "m.xlsx")),
])
def test_import_request_splits_path_and_manifest(typed, expected):
    path, manifest = parse_import_request(typed)
    assert (str(path), str(manifest) if manifest else None) == expected


def test_import_request_home_folder():
    path, manifest = parse_import_request("~/in --manifest ~/m.csv")
    assert path == Path.home() / "in" and manifest == Path.home() / "m.csv"


@pytest.mark.parametrize(("typed", "message"), [
    ("--manifest m.csv", "Name the file or folder to import first"),
    ("in --manifest", "Name the manifest after --manifest"),
    ("in --manifest a.csv --manifest b.csv", "Give --manifest once"),
])
def test_import_request_mistakes_say_what_to_type(typed, message):
    with pytest.raises(FieldnotesError, match=message):
        parse_import_request(typed)


def test_cli_config_key_attributes_checks_the_names(sample_project):
    path = str(sample_project.path)
    bad = CliRunner().invoke(cli, ["config", path, "key_attributes", "sit,role"])
    assert bad.exit_code != 0 and "No attribute 'sit'. Did you mean 'site'?" in bad.output
    good = CliRunner().invoke(cli, ["config", path, "key_attributes", "site, role"], catch_exceptions=False)
    assert good.exit_code == 0 and "key_attributes = site,role" in good.output
    assert sample_project.study.key_attributes() == ["site", "role"]
