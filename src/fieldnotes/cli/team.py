"""Team coding: coders' copies, merging them back, and intercoder agreement
(``team copy``, ``team merge``, ``agreement``)."""

from __future__ import annotations

from pathlib import Path

import click

from fieldnotes.analysis.agreement import UNITS as AGREEMENT_UNITS
from fieldnotes.cli import cli, console, err_console, escape, open_project, parse_where, print_json

PROJECT = click.argument("project", type=click.Path(dir_okay=False))


@cli.group()
def team() -> None:
    """Work as a team: a copy of the project for each coder, merged back by GUID.

    \b
    Example:
      fieldnotes team copy study.fnp --coder anna -o study-anna.fnp
      fieldnotes team copy study.fnp --coder ben -o study-ben.fnp
      fieldnotes team merge study.fnp study-anna.fnp study-ben.fnp
      fieldnotes agreement study.fnp --coders anna,ben
    """


@team.command("copy")
@PROJECT
@click.option("--coder", required=True, help="Who the copy is for: their codings carry this name.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The copy to write (a new file).")
@click.option("--blind/--with-others", default=True, show_default=True,
              help="Leave out the other coders' codings (an agreement round), or keep them.")
def team_copy(project, coder, output, blind) -> None:
    """Write a copy of PROJECT for one coder to code on their own.

    The copy has the same documents, codebook, cases and attributes (same
    GUIDs), remembers where it came from, codes as CODER when opened, and is
    readable by its owner only (it holds the transcripts).

    \b
    Example:
      fieldnotes team copy study.fnp --coder anna -o study-anna.fnp
      fieldnotes open study-anna.fnp
    """
    from fieldnotes.team import make_copy

    with open_project(project) as proj:
        report = make_copy(proj, coder, Path(output), blind=blind)
    others = f", without {report.removed_codings} coding(s) by other coders" if report.blind else ""
    console().print(f"Wrote {escape(report.path)} for {escape(report.coder)}: {report.documents} document(s), "
                    f"{report.codings} coding(s){others}.")


@team.command("merge")
@PROJECT
@click.argument("copies", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def team_merge(project, copies, as_json) -> None:
    """Bring coders' copies back into PROJECT, matching by GUID.

    Codings, memos and new codes are added; renames and moves made in a copy
    are applied; conflicting edits are listed and left as the project has
    them. A copy of another project, or whose documents differ, is refused.
    Merging the same copy twice adds nothing. Undo with 'fieldnotes undo'.

    \b
    Example:
      fieldnotes team merge study.fnp study-anna.fnp study-ben.fnp
    """
    from fieldnotes.cli import unlock
    from fieldnotes.team import merge_copies

    with open_project(project) as proj:
        for copy in copies:
            unlock(copy)     # an encrypted copy's passphrase, asked for once
        report = merge_copies(proj, [Path(c) for c in copies])
    if as_json:
        print_json({"copies": report.copies, "codings": report.codings, "memos_added": report.memos_added,
                    "memos_updated": report.memos_updated, "codes_added": report.codes_added,
                    "codes_changed": report.codes_changed, "conflicts": report.conflicts, "kept": report.kept,
                    "coders": report.coders})
        return
    out = console()
    out.print(f"Merged {len(report.copies)} cop{'y' if len(report.copies) == 1 else 'ies'}: "
              f"{report.codings} coding(s), {report.memos_added} memo(s) added, {report.memos_updated} updated.")
    for path in report.codes_added:
        out.print(f"  new code: {escape(path)}")
    for change in report.codes_changed:
        out.print(f"  renamed or moved: {escape(change)}")
    if report.kept:
        out.print(f"  {report.kept} coding(s) deleted in a copy were kept (a merge never deletes).")
    if not report.changed:
        out.print("  Nothing new: these copies are already merged.")
    for conflict in report.conflicts:
        err_console().print(f"[bold yellow]conflict:[/] {escape(conflict)}")


@cli.command("agreement")
@PROJECT
@click.option("--coders", help="Comma-separated coders to compare (default: every coder with codings).")
@click.option("--code", "codes", multiple=True, help="Only these codes (name or path); repeatable.")
@click.option("--unit", type=click.Choice(AGREEMENT_UNITS),
              default="character", show_default=True, help="What one rating is about (see README).")
@click.option("--where", "where", multiple=True, metavar="NAME=VALUE", help="Only documents with this attribute value.")
@click.option("--by-document", is_flag=True, help="Also a row per code and document.")
@click.option("--all-documents", is_flag=True,
              help="Compare every document, even those a coder has not coded at all yet.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write .csv .xlsx .md or .html instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--original", is_flag=True, help="Real names in code and document names (sensitive; warns).")
def agreement_command(project, coders, codes, unit, where, by_document, all_documents, output, as_json,
                      original) -> None:
    """Intercoder agreement per code: percent agreement, Cohen's kappa (two
    coders) and Krippendorff's alpha, with the counts behind each figure.

    Each unit (character, word, sentence, paragraph or speaker turn) of each
    compared document is coded or not by each coder; by default only
    documents every compared coder has coded are compared.

    \b
    Example:
      fieldnotes agreement study.fnp --coders anna,ben
      fieldnotes agreement study.fnp --unit sentence --code Caseload --by-document
      fieldnotes agreement study.fnp -o agreement.xlsx
    """
    from fieldnotes.analysis.agreement import agreement

    names = [c.strip() for c in coders.split(",") if c.strip()] if coders else None
    from fieldnotes.cli.pseudo import output_view

    with open_project(project) as proj:
        result = agreement(proj, coders=names, codes=list(codes) or None, unit=unit, where=parse_where(where),
                           by_document=by_document, all_documents=all_documents)
        # Like every output: code and document names pseudonymised unless --original.
        view = output_view(proj, original, "code and document names may hold real names.")
        _emit_agreement(result, view, output, as_json)


def _emit_agreement(result, view, output: str | None, as_json: bool) -> None:
    """The figures as JSON, a file or a terminal table, names through ``view``."""
    shown = view.scrub
    if as_json:
        print_json({"coders": result.coders, "unit": result.unit,
                    "documents": [shown(d) for d in result.documents], "skipped": [shown(d) for d in result.skipped],
                    "rows": [
                        {"code": shown(r.code), "document": shown(r.document), "units": r.counts.units,
                         "by_coders": list(r.counts.by_coders), "per_coder": list(r.counts.per_coder),
                         "percent": r.percent, "kappa": r.kappa, "alpha": r.alpha, "reading": r.reading}
                        for r in [*result.rows, result.overall]]})
        return
    table = view.table(result.table())
    if output:
        from fieldnotes.export.tables import write_table, write_tables
        from fieldnotes.output import sensitive_output

        with sensitive_output(not view.pseudonymised):
            if Path(output).suffix.lower() == ".xlsx":   # a sheet per measure, colour scales
                write_tables([view.table(each) for each in result.tables()], Path(output))
            else:
                write_table(table, Path(output))
        console().print(f"Wrote {escape(table.title)} to {escape(output)}.")
        return
    from fieldnotes.cli.tables import rich_table

    console().print(rich_table(table))
