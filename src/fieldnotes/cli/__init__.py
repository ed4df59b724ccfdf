"""The ``fieldnotes`` command line: thin commands that call the project API and
print with rich. Errors are one line; ``--debug`` shows the traceback."""

from __future__ import annotations

import json
from typing import Any

import click

from fieldnotes import __version__
from fieldnotes.errors import FieldnotesError, explain


class FieldnotesGroup(click.Group):
    """Turns a FieldnotesError (or any crash) into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FieldnotesError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            err_console().print(f"[bold red]Error:[/] {escape(str(exc))}")
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            known = explain(exc, _opened[-1] if _opened else None)
            if known is not None:
                err_console().print(f"[bold red]Error:[/] {escape(str(known))}")
                ctx.exit(1)
            err_console().print(
                f"[bold red]Unexpected error:[/] {escape(exc.__class__.__name__)}: {escape(str(exc))} "
                "(run again with --debug for details, and please report it)"
            )
            ctx.exit(1)


_consoles: dict[str, Any] = {}


def console():
    from rich.console import Console

    return _consoles.setdefault("out", Console(highlight=False, soft_wrap=True))


def err_console():
    from rich.console import Console

    return _consoles.setdefault("err", Console(stderr=True, highlight=False, soft_wrap=True))


def escape(text: str) -> str:
    """Text from a file or the user, ready to put in rich markup: markup
    brackets escaped, and control characters shown as visible escapes
    (``\\x1b``) so a file name or transcript cannot drive the terminal.
    Every CLI output of file-derived text goes through here."""
    from rich.markup import escape as _escape

    from fieldnotes.terminal import printable

    return _escape(printable(text))


def print_json(data: Any) -> None:
    # json escapes C0 controls itself; C1 and bidi controls pass through with
    # ensure_ascii=False, so they are escaped here (still valid JSON).
    from fieldnotes.terminal import _CONTROL

    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    click.echo(_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def parse_where(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        if "=" not in item:
            raise FieldnotesError(f"--where needs NAME=VALUE, for example --where phase=2 (got '{item}').")
        name, value = item.split("=", 1)
        pairs.append((name.strip(), value.strip()))
    return pairs


#: Projects opened by this command, so that a low-level error (a full disk,
#: a lock) can name the project in its one-line message.
_opened: list[str] = []


def open_project(path: str):
    from fieldnotes.project import Project

    _opened.append(str(path))
    return Project.open(path)


@click.group(cls=FieldnotesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fieldnotes")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """fieldnotes: code qualitative fieldwork (interviews, focus groups,
    observation notes) in the terminal.

    \b
    Example:
      fieldnotes init study.fnp
      fieldnotes import study.fnp transcripts/ --manifest participants.csv
      fieldnotes search study.fnp caseload
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main() -> None:
    # Import the command modules here so that importing fieldnotes.cli for its
    # helpers stays cheap.
    load_commands()
    cli(prog_name="fieldnotes")


def load_commands() -> click.Group:
    """The command group with every command registered (for tests and docs)."""
    from fieldnotes.cli import coding, documents, exports, pseudo, workspace  # noqa: F401

    return cli
