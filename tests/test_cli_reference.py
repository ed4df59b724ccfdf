"""docs/cli.md is generated from the commands and must not go stale."""

from conftest import REPO
from fieldnotes.cli.reference import render


def test_cli_reference_is_up_to_date():
    path = REPO / "docs" / "cli.md"
    expected = render()
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current != expected:
        import difflib

        diff = "\n".join(list(difflib.unified_diff(current.splitlines(), expected.splitlines(), lineterm=""))[:40])
        raise AssertionError("docs/cli.md is out of date with the commands' help: regenerate it with "
                             "'python -m fieldnotes.cli.reference > docs/cli.md' and commit it.\n" + diff)


def test_reference_lists_every_command():
    text = render()
    for command in ("fieldnotes import", "fieldnotes export quotes", "fieldnotes team merge", "fieldnotes agreement",
                    "fieldnotes encrypt", "fieldnotes pseudo check-leaks"):
        assert f"## {command}\n" in text
