"""The TUI's modal screens, driven through Textual's Pilot on a real project.

pytest-asyncio is not a dependency: each test runs its coroutine with
``asyncio.run``.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App
from textual.widgets import Input, Label, OptionList, Static, TextArea

from fieldnotes.project import Project
from fieldnotes.tui.messages import Jump, PickResult
from fieldnotes.tui.screens.dialogs import ChoiceDialog, ConfirmDialog, MemoEditor, PromptDialog
from fieldnotes.tui.screens.help import HelpScreen
from fieldnotes.tui.screens.picker import CodePicker
from fieldnotes.tui.screens.retrieval import RetrievalScreen, parse_filter
from fieldnotes.tui.screens.search import SearchScreen

from conftest import write
from waiting import wait_until

SIZE = (100, 30)

SW01 = """Interviewer: How is your caseload at the moment?
SW: My caseload is about twenty families, which leaves little time for direct work.
Interviewer: And supervision?
SW: Supervision is monthly and mostly about audits.
"""
SW02 = """Interviewer: Tell me about your caseload now.
SW: The caseload went down after the new team started.
Interviewer: Anything else?
SW: Time for direct work with families has improved a lot.
"""
TM01 = """Interviewer: How do you see caseloads across the team?
Manager: Caseloads are still too high in the assessment team.
Interviewer: Thank you.
Manager: You're welcome.
"""
MANIFEST = """file,kind,phase,role,years_qualified
p1_sw01.txt,interview,1,SW CP,3
p2_sw02.txt,interview,2,SW CP,5
p2_tm01.txt,interview,2,Team manager,
"""


@pytest.fixture
def study(tmp_path) -> Project:
    """Three interviews over two phases, a small codebook and some codings."""
    folder = tmp_path / "data"
    write(folder / "p1_sw01.txt", SW01)
    write(folder / "p2_sw02.txt", SW02)
    write(folder / "p2_tm01.txt", TM01)
    write(tmp_path / "manifest.csv", MANIFEST)
    with Project.create(tmp_path / "s.fnp") as project:
        report = project.intake.import_paths([folder], manifest=tmp_path / "manifest.csv")
        assert not report.failed
        project.codebook.add_code("Caseload and time/Caseload", description="Size and weight of caseloads.\nMore.")
        project.codebook.add_code("Caseload and time/Time for direct work", description="Time with families.")
        project.codebook.add_code("Reflection and learning/Supervision", description="Supervision, formal or not.")
        for document, words, code in [
            ("p1_sw01.txt", "My caseload is about twenty families", "Caseload"),
            ("p2_sw02.txt", "The caseload went down", "Caseload"),
            ("p2_tm01.txt", "Caseloads are still too high", "Caseload"),
            ("p2_sw02.txt", "Time for direct work with families", "Time for direct work"),
        ]:
            start, end = project.coding.find_text(document, words)
            project.coding.apply_coding(document, code, start, end)
        yield project


class Host(App):
    """Pushes one screen and keeps what it dismisses with."""

    def __init__(self, screen) -> None:
        super().__init__()
        self.modal = screen
        self.results: list = []

    def on_mount(self) -> None:
        self.push_screen(self.modal, self.results.append)


def drive(screen, script) -> list:
    """Run ``script(pilot, screen)`` against ``screen`` in a host app; return
    what the screen was dismissed with (empty when it was not)."""

    async def main() -> list:
        app = Host(screen)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await script(pilot, screen)
            await pilot.pause()
        return app.results

    return asyncio.run(main())


def option_texts(screen) -> list[str]:
    return [str(option.prompt) for option in screen.query_one(OptionList).options]


def label_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


# -- code picker -------------------------------------------------------------------


def test_picker_ranks_a_typo_and_enter_returns_the_code(study):
    seen = {}

    async def script(pilot, screen):
        await pilot.press(*"caseloda")
        seen["options"] = option_texts(screen)
        await pilot.press("enter")

    results = drive(CodePicker(study), script)
    assert "Caseload and time/Caseload" in seen["options"][0]
    assert "Size and weight of caseloads." in seen["options"][0]
    assert "More." not in seen["options"][0]  # only the description's first line
    assert "Create code 'caseloda'" in seen["options"][-1]
    assert results == [PickResult("Caseload and time/Caseload")]


def test_picker_down_moves_in_the_list_while_typing(study):
    async def script(pilot, screen):
        await pilot.press(*"caseload")
        assert isinstance(screen.focused, Input)
        await pilot.press("down")
        assert isinstance(screen.focused, Input)
        await pilot.press("enter")

    results = drive(CodePicker(study), script)
    # "Caseload" matches exactly (no offer to create it); second best is its parent.
    assert results == [PickResult("Caseload and time")]


def test_picker_offers_to_create_an_unknown_code(study):
    seen = {}

    async def script(pilot, screen):
        await pilot.press(*"Workload/Bureaucracy")
        seen["options"] = option_texts(screen)
        await pilot.press("enter")
        seen["hint"] = label_text(screen, "#picker-hint")
        await pilot.press("enter")

    results = drive(CodePicker(study), script)
    assert seen["options"] == ["+ Create code 'Bureaucracy' (with its new parents)"]
    assert "Create 'Bureaucracy' under 'Workload'?" in seen["hint"]
    assert results == [PickResult("Workload/Bureaucracy", create=True)]


def test_picker_typed_path_creates_the_sub_code_not_the_parent(study):
    """Issue 12 finding 4: "Parent/New" and Enter applied the parent."""
    seen = {}

    async def script(pilot, screen):
        await pilot.press(*"Caseload and time/Scaling questions")
        seen["options"] = option_texts(screen)
        await pilot.press("enter")
        seen["hint"] = label_text(screen, "#picker-hint")
        seen["after_one_enter"] = list(pilot.app.results)
        await pilot.press("enter")

    results = drive(CodePicker(study), script)
    assert seen["options"][0] == "+ Create code 'Scaling questions' under 'Caseload and time'"
    assert seen["after_one_enter"] == []
    assert "Create 'Scaling questions' under 'Caseload and time'? Enter creates it" in seen["hint"]
    assert results == [PickResult("Caseload and time/Scaling questions", create=True)]


def test_picker_path_under_a_parent_named_in_another_case_uses_its_real_path(study):
    async def script(pilot, screen):
        await pilot.press(*"reflection and learning / peer support", "enter", "enter")

    assert drive(CodePicker(study), script) == [PickResult("Reflection and learning/peer support", create=True)]


def test_picker_escape_on_the_confirmation_goes_back_to_typing(study):
    seen = {}

    async def script(pilot, screen):
        await pilot.press(*"Caseload and time/New", "enter", "escape")
        seen["hint"] = label_text(screen, "#picker-hint")
        await pilot.press("backspace", "backspace", "backspace", *"Caseload")
        await pilot.press("enter")

    results = drive(CodePicker(study), script)
    assert seen["hint"].startswith("Enter chooses")
    assert results == [PickResult("Caseload and time/Caseload")]


def test_picker_can_create_a_code_that_nearly_matches(study):
    async def script(pilot, screen):
        await pilot.press(*"Caseload size")
        options = option_texts(screen)
        assert "Caseload and time/Caseload" in options[0]
        assert options[-1] == "+ Create code 'Caseload size'"
        await pilot.press(*["down"] * (len(options) - 1), "enter", "enter")

    assert drive(CodePicker(study), script) == [PickResult("Caseload size", create=True)]


def test_picker_offers_no_create_for_an_existing_path(study):
    async def script(pilot, screen):
        await pilot.press(*"caseload and time / caseload")
        assert not any("Create code" in text for text in option_texts(screen))
        await pilot.press("enter")

    assert drive(CodePicker(study), script) == [PickResult("Caseload and time/Caseload")]


def test_picker_lists_recent_codes_first_then_the_tree(study):
    seen = {}

    async def script(pilot, screen):
        seen["options"] = option_texts(screen)
        await pilot.press("enter")

    recent = ["Reflection and learning/Supervision", "Caseload and time/Time for direct work", "Gone"]
    results = drive(CodePicker(study, recent=recent, title="Code the passage"), script)
    paths = [text.strip().split("  ")[0] for text in seen["options"]]
    assert paths == [
        "Reflection and learning/Supervision",
        "Caseload and time/Time for direct work",
        "Caseload and time",
        "Caseload and time/Caseload",
        "Reflection and learning",
    ]
    assert results == [PickResult("Reflection and learning/Supervision")]


def test_picker_escape_returns_none(study):
    async def script(pilot, screen):
        await pilot.press(*"case", "escape")

    assert drive(CodePicker(study), script) == [None]


# -- search ------------------------------------------------------------------------


def test_search_enter_shows_hits_then_jumps_to_the_first(study):
    seen = {}

    async def script(pilot, screen):
        await pilot.press(*"caseload", "enter")
        await wait_until(pilot, lambda: screen._hits, "search hits listed")
        seen["status"] = label_text(screen, "#search-status")
        seen["options"] = option_texts(screen)
        seen["first"] = screen._hits[0]
        await pilot.press("enter")

    results = drive(SearchScreen(study), script)
    hits = study.search("caseload")
    assert seen["status"] == f"{len(hits)} hits in 2 documents"
    assert len(hits) == 4
    first = hits[0]
    assert seen["first"] == first
    assert seen["options"][0].startswith(f"{first.document}  @{first.start}  {first.speaker}\n")
    assert results == [Jump(first.document, first.start, first.end)]
    assert study.document(first.document).text[first.start:first.end].casefold() == "caseload"


def test_search_runs_the_query_it_was_given(study):
    seen = {}

    async def script(pilot, screen):
        seen["status"] = label_text(screen, "#search-status")
        await pilot.press("down", "enter")

    results = drive(SearchScreen(study, query='"direct work"'), script)
    hits = study.search('"direct work"')
    assert seen["status"] == "2 hits in 2 documents"
    assert results == [Jump(hits[1].document, hits[1].start, hits[1].end)]


def test_search_problem_is_a_message_not_a_crash(study):
    seen = {}

    async def script(pilot, screen):
        await pilot.press(*"(((", "enter")
        seen["status"] = label_text(screen, "#search-status")
        seen["error"] = screen.query_one("#search-status").has_class("error")
        seen["options"] = option_texts(screen)
        await pilot.press("enter", "escape")

    results = drive(SearchScreen(study), script)
    assert seen["status"] == "Nothing to search for in '((('."
    assert seen["error"] and seen["options"] == []
    assert results == [None]


# -- retrieval ---------------------------------------------------------------------


def test_parse_filter():
    assert parse_filter("phase=2 role=SW CP") == [("phase", "2"), ("role", "SW CP")]
    assert parse_filter("role=SW CP, SW LAC,phase=1") == [("role", "SW CP"), ("role", "SW LAC"), ("phase", "1")]
    assert parse_filter("  ") == []


def test_retrieval_lists_passages_filters_and_jumps(study):
    seen = {}

    async def script(pilot, screen):
        seen["title"] = label_text(screen, "#retrieval-title")
        seen["all"] = option_texts(screen)
        seen["status"] = label_text(screen, "#retrieval-status")
        await pilot.press("slash", *"phase=2", "enter")
        seen["phase2"] = option_texts(screen)
        seen["filtered"] = label_text(screen, "#retrieval-status")
        await pilot.press("down", "enter")

    results = drive(RetrievalScreen(study, "Caseload and time"), script)
    assert seen["title"] == "Caseload and time (sub-codes included)"
    assert seen["status"] == "4 passages in 3 documents"
    assert seen["all"][0] == "p1_sw01.txt  SW  SW CP, 3 years qualified  [Caseload]\n  My caseload is about twenty families"
    assert any(text.startswith("p2_tm01.txt  Manager  Team manager  [Caseload]") for text in seen["all"])
    assert any("[Time for direct work]" in text for text in seen["all"])
    assert all(not text.startswith("p1_") for text in seen["phase2"]) and len(seen["phase2"]) == 3
    assert seen["filtered"] == "3 passages in 2 documents where phase=2"
    second = study.coding.passages("Caseload and time", where=[("phase", "2")])[1]
    assert results == [Jump(second.document, second.start, second.end)]


def test_retrieval_unknown_attribute_shows_in_the_status_line(study):
    seen = {}

    async def script(pilot, screen):
        await pilot.press("f", *"fhase=2", "enter")
        seen["status"] = label_text(screen, "#retrieval-status")
        seen["count"] = len(option_texts(screen))
        await pilot.press("escape")

    results = drive(RetrievalScreen(study, "Caseload"), script)
    assert seen["status"].startswith("No attribute 'fhase'. Did you mean 'phase'?")
    assert seen["count"] == 3  # the earlier list stays
    assert results == [None]


# -- dialogs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "expected"),
    [(["enter"], True), (["y"], True), (["n"], False), (["escape"], False), (["tab", "enter"], False)],
)
def test_confirm(keys, expected):
    async def script(pilot, screen):
        await pilot.press(*keys)

    assert drive(ConfirmDialog("Delete code 'Caseload' and its 3 codings?"), script) == [expected]


def test_confirm_shows_the_message_and_button_labels():
    seen = {}

    async def script(pilot, screen):
        seen["buttons"] = [str(b.label) for b in screen.query("Button")]
        seen["message"] = label_text(screen, "#confirm-message")
        await pilot.press("escape")

    drive(ConfirmDialog("Merge [codes]?", yes="Merge", no="Keep"), script)
    assert seen == {"buttons": ["Merge (y)", "Keep (n)"], "message": "Merge [codes]?"}


def test_prompt_returns_stripped_text_or_none():
    async def rename(pilot, screen):
        await pilot.press("ctrl+u", *"  Caseload size ", "enter")

    async def blank(pilot, screen):
        await pilot.press("ctrl+u", "space", "enter")

    async def escape(pilot, screen):
        await pilot.press(*"abc", "escape")

    assert drive(PromptDialog("Rename code", value="Caseload"), rename) == ["Caseload size"]
    assert drive(PromptDialog("Rename code"), blank) == [None]
    assert drive(PromptDialog("Rename code", placeholder="new name"), escape) == [None]


def test_prompt_keeps_the_given_value():
    async def script(pilot, screen):
        assert screen.query_one(Input).value == "Caseload"
        await pilot.press("enter")

    assert drive(PromptDialog("Rename code", value="Caseload"), script) == ["Caseload"]


def test_choice_returns_the_chosen_object_or_none():
    options = [("Top level", None), ("Caseload and time", 7), ("Reflection [and] learning", {"id": 9})]

    async def third(pilot, screen):
        assert option_texts(screen) == ["Top level", "Caseload and time", "Reflection [and] learning"]
        await pilot.press("down", "down", "enter")

    async def escape(pilot, screen):
        await pilot.press("down", "escape")

    assert drive(ChoiceDialog("Move to", options), third) == [{"id": 9}]
    assert drive(ChoiceDialog("Move to", options), escape) == [None]


@pytest.mark.parametrize("save_key", ["f2", "ctrl+t"])
def test_memo_editor_saves_with_its_key(save_key):
    async def script(pilot, screen):
        assert "F2 or Ctrl+T saves" in label_text(screen, ".hint")
        await pilot.press("enter", *"Second line", save_key)

    assert drive(MemoEditor("Memo on Caseload", "First line"), script) == ["First line\nSecond line"]


def test_memo_editor_escape_cancels():
    async def script(pilot, screen):
        await pilot.press(*"draft")
        assert screen.query_one(TextArea).text == "Keepdraft"
        await pilot.press("escape")

    assert drive(MemoEditor("Memo", "Keep"), script) == [None]


# -- help --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
def test_help_lists_every_section_and_closes(key):
    sections = [
        ("Reading", [("j / k", "Next / previous turn"), ("/", "Search")]),
        ("Codebook", [("a", "Add a code"), ("ctrl+z", "Undo")]),
    ]
    seen = {}

    async def script(pilot, screen):
        seen["texts"] = [str(s.render()) for s in screen.query(Static) if s.id is None and not isinstance(s, Label)]
        await pilot.press(key)

    results = drive(HelpScreen(sections), script)
    texts = seen["texts"]
    assert texts[0] == "Reading" and texts[2] == "Codebook"
    assert texts[1] == "  j / k   Next / previous turn\n  /       Search"
    assert texts[3] == "  a       Add a code\n  ctrl+z  Undo"
    assert results == [None]
