"""The disagreement review screen, driven by Pilot on a real project."""

import asyncio
import re
import shutil

from textual.widgets import OptionList, Static

from fieldnotes.project import Project
from fieldnotes.tui.app import FieldnotesApp
from fieldnotes.tui.screens.disagreements import DisagreementScreen


def test_settle_disagreements_in_the_workspace(_sample_build, tmp_path):
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        proj.codebook.add_code("Caseload")
        proj.coding.apply_coding("p1_int_sw01.txt", "Caseload", 100, 200, coder="anna")
        proj.coding.apply_coding("p1_int_sw01.txt", "Caseload", 150, 260, coder="ben")
        proj.coding.apply_coding("p1_int_sw01.txt", "Caseload", 400, 450, coder="anna")

    async def main():
        app = FieldnotesApp(path)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("A")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, DisagreementScreen)
            options = screen.query_one(OptionList)
            assert options.option_count == 2
            left = str(screen.query_one("#side-first", Static).render())
            assert "anna" in left
            # Take ben's coding (the right side) with a memo.
            await pilot.press("2")
            await pilot.pause()
            await pilot.press(*"fuller", "enter")
            await pilot.pause()
            # The second one: neither, without a memo (Escape in the memo line).
            await pilot.press("n")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert [d.settled for d in screen.items] == ["took ben's coding", "coded neither"]
            await pilot.press("u")          # undo "neither"
            await pilot.pause()
            assert [d.settled for d in screen.items] == ["took ben's coding", None]

    asyncio.run(main())
    with Project.open(path) as proj:
        rows = proj.conn.execute(
            'SELECT c.start, c."end" FROM codings c JOIN coders k ON k.id = c.coder_id WHERE k.name = ?',
            ["consensus"]).fetchall()
        assert rows == [(150, 260)]
        memo = proj.conn.execute("SELECT text FROM memos WHERE title LIKE 'Consensus:%'").fetchall()
        assert memo == [("fuller",)]


def test_disagreements_are_shown_pseudonymised_to_a_pseudonymised_only_coder(_sample_build, tmp_path, nlp):
    """Found checking issue 13: the review of disagreements showed the
    recorded text to a coder who may read only pseudonymised text."""
    path = tmp_path / "study.fnp"
    shutil.copy(_sample_build, path)
    with Project.open(path) as proj:
        proj.pseudonyms.detect_entities(nlp=nlp)
        proj.codebook.add_code("Anita Shah story")   # a code named after a participant
        start, end = proj.coding.find_text("p1_int_sw01.txt", "So I'm Anita, Anita Shah")
        proj.coding.apply_coding("p1_int_sw01.txt", "Anita Shah story", start, end, coder="anna")
        proj.coding.apply_coding("p1_int_sw01.txt", "Anita Shah story", start + 5, end + 40, coder="ben")
        proj.reading.set_text_view("pseudonymised")

    async def main():
        app = FieldnotesApp(path)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("A")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, DisagreementScreen)
            shown = [str(screen.query_one(f"#side-{side}", Static).render()) for side in ("first", "second")]
            shown.append(str(screen.query_one(OptionList).get_option_at_index(0).prompt))
            # Both sides' text and the listed code name carry the pseudonym
            # (each alone: "story" would have let a side that dropped the name pass).
            assert all("[Person " in s for s in shown), shown
            assert re.search(r"\[Person \d+\] story", shown[-1]), shown[-1]
            assert not any("Anita" in s or "Shah" in s for s in shown), shown

    asyncio.run(main())
