"""The CLI reference (``docs/cli.md``), generated from the click commands so
that it cannot drift from them: a test fails when the file is stale.

    python -m fieldnotes.cli.reference > docs/cli.md
"""

from __future__ import annotations

import click

from fieldnotes.cli import load_commands

HEADER = """# fieldnotes command reference

Generated from the commands' own help by `python -m fieldnotes.cli.reference > docs/cli.md`;
a test fails when this file is out of date. Every command also answers `--help`.
"""


def _walk(command: click.Command, path: list[str], parent: click.Context | None):
    # As click builds it when the command runs (the root's context settings,
    # -h among them, reach every command), without parsing anything.
    ctx = command.make_context(path[-1], [], parent=parent, resilient_parsing=True, terminal_width=100,
                               max_content_width=100)
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name], ctx)


def render() -> str:
    """The whole reference as Markdown."""
    root = load_commands()
    parts = [HEADER]
    entries = list(_walk(root, ["fieldnotes"], None))
    parts.append("## Commands\n")
    for path, command, _ in entries[1:]:
        anchor = "-".join(path).lower()
        summary = command.get_short_help_str(limit=90)
        parts.append(f"- [`{' '.join(path)}`](#{anchor}): {summary}")
    parts.append("")
    for path, command, ctx in entries:
        parts.append(f"## {' '.join(path)}\n")
        parts.append("```text")
        parts.append(command.get_help(ctx).rstrip())
        parts.append("```\n")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover - the test calls render()
    click.echo(render(), nl=False)
