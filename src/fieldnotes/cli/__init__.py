"""The ``fieldnotes`` command line: thin commands that call the project API and
print with rich. Errors are one line; ``--debug`` shows the traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
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


def unlock(path: str | Path, *, new: bool = False):
    """The passphrase of an encrypted project (or for a new one with
    ``new``), from FIELDNOTES_PASSPHRASE, else the root ``--passphrase-file``,
    else a prompt in a terminal; remembered for this process. Never from a
    command-line argument. None for a plain project."""
    from fieldnotes import security as cipher

    path = Path(path)
    if not new:
        if not cipher.looks_encrypted(path):
            return None
        if cipher.known(path) is not None:
            return cipher.known(path)
    ctx = click.get_current_context(silent=True)
    file = ((ctx.find_root().obj or {}).get("passphrase_file") if ctx else None)
    passphrase = cipher.passphrase_from_environment()
    if passphrase is None and file:
        passphrase = cipher.passphrase_from_file(file)
    if passphrase is None:
        if not sys.stdin.isatty():
            raise FieldnotesError(
                f"{path.name} {'is to be' if new else 'is'} encrypted and no passphrase was given: set "
                f"{cipher.ENV_PASSPHRASE}, use 'fieldnotes --passphrase-file FILE ...', or run in a terminal to be asked.")
        secret = click.prompt(f"Passphrase for {path.name}", hide_input=True, confirmation_prompt=new,
                              err=True, show_default=False)
        passphrase = cipher.Passphrase(secret)
    if not new:
        cipher.remember(path, passphrase)
    return passphrase


#: Projects opened by this command, so that a low-level error (a full disk,
#: a lock) can name the project in its one-line message.
_opened: list[str] = []


def open_project(path: str):
    """Open a project for a command: asks for the passphrase of an encrypted
    one, and warns (one line) when other users can read its files."""
    from fieldnotes.project import Project

    _opened.append(str(path))
    passphrase = unlock(path) if Path(path).is_file() else None
    project = Project.open(path, passphrase=passphrase)
    warning = project.access_warning()
    if warning:
        err_console().print(f"[bold yellow]warning:[/] {escape(warning)}")
    return project


@click.group(cls=FieldnotesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fieldnotes")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False),
              help="Read an encrypted project's passphrase from this file's first line "
                   "(else FIELDNOTES_PASSPHRASE, else a prompt).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, passphrase_file: str | None) -> None:
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
    ctx.obj["passphrase_file"] = passphrase_file


def main() -> None:
    # Import the command modules here so that importing fieldnotes.cli for its
    # helpers stays cheap.
    load_commands()
    cli(prog_name="fieldnotes")


def load_commands() -> click.Group:
    """The command group with every command registered (for tests and docs)."""
    from fieldnotes.cli import coding, documents, exports, pseudo, security, team, workspace  # noqa: F401

    return cli
