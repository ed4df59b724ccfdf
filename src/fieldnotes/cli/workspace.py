"""``fieldnotes open``: the terminal workspace."""

from __future__ import annotations

import click

from fieldnotes.cli import cli


def run_workspace(project: str, document: str | None = None) -> None:
    from fieldnotes.cli import open_project

    # Check the file (and ask for an encrypted project's passphrase) before
    # starting the full-screen app, so that a wrong path or passphrase is a
    # one-line error, not a flash of the UI.
    with open_project(project) as proj:
        detect_before_opening(proj)
    from fieldnotes.tui.app import FieldnotesApp

    app = FieldnotesApp(project, document=document)
    app.run()
    # The app stopped on an error it could not carry on from: say so to the shell.
    if app.return_code:
        raise SystemExit(app.return_code)


def detect_before_opening(proj) -> bool:
    """For a coder who reads only pseudonymised text, bring name detection
    up to date here, with a progress bar in the terminal, before the
    workspace starts: its panes show pseudonymised names from the first
    frame, and detecting new documents there would hold up the screen.
    Returns whether detection ran."""
    if not proj.reading.shows_pseudonymised() or not proj.pseudonyms.stale_documents():
        return False
    from fieldnotes.cli.pseudo import output_view

    output_view(proj, False)
    return True


@cli.command("open")
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--doc", "document", help="Open at this document.")
def open_(project: str, document: str | None) -> None:
    """Open the terminal workspace: read, select and code passages, edit the
    codebook, retrieve and search. Press ? inside for every key.

    \b
    Example:
      fieldnotes open study.fnp
      fieldnotes open study.fnp --doc p1_int_sw01
    """
    run_workspace(project, document)
