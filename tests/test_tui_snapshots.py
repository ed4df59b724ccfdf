"""Snapshot tests of the workspace at fixed terminal sizes (pytest-textual-snapshot).

Update deliberately with: pytest tests/test_tui_snapshots.py --snapshot-update
"""

import shutil

import pytest

from conftest import REPO
from fieldnotes.exchange.yaml_codebook import read_yaml
from fieldnotes.project import Project
from fieldnotes.tui.app import FieldnotesApp


@pytest.fixture
def study(_sample_build, tmp_path):
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as project:
        project.codebook.import_codebook(read_yaml(REPO / "codebooks" / "social-care-workforce.yaml")[1])
        text = project.document("p1_int_sw01.txt").text
        for phrase, code in [("caseload", "Caseload"), ("hot-desk", "Hot-desking and office space"),
                             ("supervision", "Supervision quality")]:
            start = text.lower().find(phrase)
            if start >= 0:
                a, b = project.coding.expand_passage("p1_int_sw01.txt", start, start + len(phrase), "sentence")
                project.coding.apply_coding("p1_int_sw01.txt", code, a, b)
        a, b = project.coding.expand_passage("p1_int_sw01.txt", 200, 210, "paragraph")
        project.coding.apply_coding("p1_int_sw01.txt", "Time for direct work", a, b)
        project.coding.apply_coding("p1_int_sw01.txt", "Reflective supervision", a + 20, b)
    return path


def test_main_screen_120x40(study, snap_compare):
    assert snap_compare(FieldnotesApp(study, document="p1_int_sw01.txt"), terminal_size=(120, 40))


def test_main_screen_80x24(study, snap_compare):
    assert snap_compare(FieldnotesApp(study, document="p1_int_sw01.txt"), terminal_size=(80, 24))


def test_code_picker_200x60(study, snap_compare):
    assert snap_compare(FieldnotesApp(study, document="p1_int_sw01.txt"), terminal_size=(200, 60),
                        press=["]", "s", "c", *"supervis"])
