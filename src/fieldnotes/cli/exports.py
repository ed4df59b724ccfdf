"""Commands for theme matrices, co-occurrence, framework matrices, quotes and
REFI-QDA projects (``export ...``, ``qdpx ...``). Pseudonymised by default."""

from __future__ import annotations

from pathlib import Path

import click

from fieldnotes.analysis.cooccurrence import UNITS as COOCCURRENCE_UNITS
from fieldnotes.analysis.matrix import MEASURES
from fieldnotes.cli import cli, console, escape, open_project, parse_where
from fieldnotes.cli.coding import NOTES
from fieldnotes.cli.pseudo import export, output_view
from fieldnotes.errors import FieldnotesError

PROJECT = click.argument("project", type=click.Path(dir_okay=False))
WHERE = click.option("--where", "where", multiple=True, metavar="NAME=VALUE",
                     help="Only documents whose attribute NAME has VALUE (repeatable).")
OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False),
                      help="File to write (.csv .xlsx .md .html .png .svg by extension); none: a table here.")
ORIGINAL = click.option("--original", is_flag=True, help="Real names in labels and text (sensitive; warns).")
CODER = click.option("--coder", help="Only this coder's codings.")


def _names_first(proj, *, coder=None, codes=(), cases=(), where=()) -> None:
    """Refuse an unknown coder, code, case or attribute before the output
    view brings name detection up to date, which can take seconds: a typo
    is reported at once. The project's resolvers decide, as everywhere."""
    if coder:
        proj.coders.resolve(coder)
    for code in codes:
        proj.codebook.code(code)
    for case in cases:
        proj.attributes.case(case)
    if where:
        proj.filter_documents(where)


def _emit(table, output: str | None, view, built_through_view: bool = False) -> None:
    """The table through the view (labels and text pseudonymised unless
    --original; a table built through the view already is not scrubbed
    twice), then written or printed."""
    if not built_through_view:
        view.table(table)
    if output:
        from fieldnotes.output import sensitive_output
        from fieldnotes.export.tables import write_table

        with sensitive_output(not view.pseudonymised):
            write_table(table, Path(output))
        console().print(f"Wrote {escape(table.title)} to {escape(output)}.")
    else:
        from fieldnotes.cli.tables import terminal_tables

        out = console()
        # Fitted to the terminal: wrapped headings, or keyed columns, or pages.
        for part in terminal_tables(table, out.width):
            out.print(part, soft_wrap=False)  # notes and key wrapped to the width too


@export.command("matrix")
@PROJECT
@click.option("--rows", type=click.Choice(["codes"]), default="codes", show_default=True)
@click.option("--cols", default="documents", show_default=True,
              help="documents | cases | attr:NAME | attr:NAME,attr:NAME (a cross of two attributes).")
@click.option("--measure", type=click.Choice(MEASURES), default="passages",
              show_default=True)
@click.option("--percent", is_flag=True, help="Percentages of the column instead of counts.")
@click.option("--code", "codes", multiple=True, help="Only these codes (with their sub-codes); repeatable.")
@click.option("--all-combinations", is_flag=True,
              help="With two attributes crossed: a column for every combination of values, even those no "
                   "document has (default: only those that occur).")
@WHERE
@CODER
@OUTPUT
@ORIGINAL
def export_matrix(project, rows, cols, measure, percent, codes, all_combinations, where, coder, output,
                  original) -> None:
    """A theme matrix: codes (sub-codes rolled up into parents, each passage
    counted once) against documents, cases or attribute values, with totals.

    Without -o the table is fitted to the terminal: headings wrap, or the
    columns are lettered A, B, ... with a key below, or split over several
    tables; numbers are always printed whole.

    \b
    Example:
      fieldnotes export matrix study.fnp --cols attr:phase --measure passages -o matrix.xlsx
      fieldnotes export matrix study.fnp --cols attr:phase,attr:role --measure documents --percent
    """
    from fieldnotes.analysis.matrix import code_matrix

    with open_project(project) as proj:
        _names_first(proj, coder=coder, codes=codes, where=parse_where(where))
        view = output_view(proj, original, "labels and text may hold real names.")
        table = code_matrix(proj, cols=cols, measure=measure, percent=percent, where=parse_where(where),
                            coder=coder, codes=list(codes) or None, all_combinations=all_combinations)
        _emit(table, output, view)


@export.command("cooccurrence")
@PROJECT
@click.option("--unit", type=click.Choice(COOCCURRENCE_UNITS), default="overlap", show_default=True,
              help="Codes co-occur when their passages overlap, or share a speaker turn or a paragraph.")
@click.option("--jaccard", is_flag=True, help="Jaccard similarity instead of counts.")
@click.option("--code", "codes", multiple=True, help="Only these codes; repeatable.")
@WHERE
@CODER
@OUTPUT
@ORIGINAL
def export_cooccurrence(project, unit, jaccard, codes, where, coder, output, original) -> None:
    """Codes x codes: how often two themes occur together.

    \b
    Example:
      fieldnotes export cooccurrence study.fnp --unit turn -o cooccurrence.html
    """
    from fieldnotes.analysis.cooccurrence import cooccurrence

    with open_project(project) as proj:
        _names_first(proj, coder=coder, codes=codes, where=parse_where(where))
        view = output_view(proj, original, "labels and text may hold real names.")
        table = cooccurrence(proj, codes=list(codes) or None, unit=unit, jaccard=jaccard, where=parse_where(where),
                             coder=coder)
        _emit(table, output, view)


@export.command("framework")
@PROJECT
@click.option("--code", "codes", multiple=True, help="Themes (columns); default: the top-level codes.")
@click.option("--case", "cases", multiple=True, help="Only these cases (rows).")
@click.option("--max-chars", default=300, show_default=True, help="Shorten each cell's passages to about this.")
@NOTES
@WHERE
@OUTPUT
@ORIGINAL
def export_framework(project, codes, cases, max_chars, notes, where, output, original) -> None:
    """A framework matrix (cases x themes): each cell the case's coded
    passages, shortened, and memos, as UK evaluators use for the Framework
    method. Each turn goes to its speaker's case (see 'fieldnotes cases
    link'); observation notes are marked "note".

    \b
    Example:
      fieldnotes export framework study.fnp -o framework.xlsx
      fieldnotes export framework study.fnp --notes exclude -o framework.xlsx
    """
    from fieldnotes.analysis.framework import framework_matrix

    with open_project(project) as proj:
        _names_first(proj, codes=codes, cases=cases, where=parse_where(where))
        view = output_view(proj, original, "labels and text may hold real names.")
        table = framework_matrix(proj, codes=list(codes) or None, cases=list(cases) or None, where=parse_where(where),
                                 view=view, max_chars=max_chars, notes=notes)
        _emit(table, output, view, built_through_view=True)


@export.command("quotes")
@PROJECT
@click.option("--code", "codes", multiple=True, help="Only these codes (with sub-codes); repeatable.")
@WHERE
@CODER
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="File to write: .docx, .md, .html or .csv.")
@click.option("--title", help="Document title (default: 'Quotes from PROJECT').")
@NOTES
@ORIGINAL
def export_quotes(project, codes, where, coder, output, title, notes, original) -> None:
    """Quotes for report writing: passages grouped by theme and sub-theme,
    each with its attribution ("SW CP, 5 years qualified"), document and
    phase; pseudonymised. A quote that spans turns is quoted turn by turn,
    each attributed to its speaker; observation notes are attributed as notes
    (setting observation_attribution_template) and marked as the researcher's.

    \b
    Example:
      fieldnotes export quotes study.fnp -o quotes.docx
      fieldnotes export quotes study.fnp --code "Caseload and time" --where phase=3 -o quotes.md
      fieldnotes export quotes study.fnp --notes exclude -o participants-only.docx
    """
    from fieldnotes.export.quotes import quotes, write_quotes

    with open_project(project) as proj:
        _names_first(proj, coder=coder, codes=codes, where=parse_where(where))
        view = output_view(proj, original, "the quotes hold real names.")
        groups = quotes(proj, codes=list(codes) or None, where=parse_where(where), coder=coder, view=view,
                        notes=notes)
        from fieldnotes.output import sensitive_output

        with sensitive_output(original):
            write_quotes(groups, Path(output), title=title or f"Quotes from {Path(project).stem}")
    count = sum(len(getattr(g, "quotes", []) or []) for g in groups)
    console().print(f"Wrote {escape(output)}" + (f" ({count} quotes)." if count else "."))


@cli.group()
def qdpx() -> None:
    """Exchange whole projects with NVivo, ATLAS.ti, MAXQDA and QualCoder
    (REFI-QDA .qdpx).

    \b
    Example:
      fieldnotes qdpx export study.fnp -o study.qdpx
      fieldnotes qdpx import from-nvivo.qdpx imported.fnp
    """


@qdpx.command("export")
@PROJECT
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .qdpx file to write.")
@ORIGINAL
def qdpx_export(project, output, original) -> None:
    """Write a REFI-QDA project: documents, codes, codings, cases, variables,
    memos; pseudonymised unless --original.

    \b
    Example:
      fieldnotes qdpx export study.fnp -o study.qdpx
    """
    from fieldnotes.exchange.qdpx import export_qdpx

    with open_project(project) as proj:
        view = output_view(proj, original, "the .qdpx holds the original texts with real names.")
        from fieldnotes.output import sensitive_output

        with sensitive_output(original):
            counts = export_qdpx(proj, Path(output), view=view)
    console().print(f"Wrote {escape(output)}: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + ".")


@qdpx.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.argument("project", type=click.Path(dir_okay=False))
def qdpx_import(file, project) -> None:
    """Import a REFI-QDA project (.qdpx) into a new fieldnotes project.

    \b
    Example:
      fieldnotes qdpx import from-nvivo.qdpx imported.fnp
    """
    from fieldnotes.exchange.qdpx import import_qdpx

    if Path(project).exists():
        raise FieldnotesError(f"{project} already exists, and 'qdpx import' makes a new project: "
                              "give a file name not used yet (nothing was changed).")
    proj, summary = import_qdpx(Path(file), Path(project))
    proj.close()
    fields = ("documents", "codes", "codings", "cases", "variables", "memos")
    console().print(f"Imported into {escape(project)}: " + ", ".join(
        f"{getattr(summary, f)} {f}" for f in fields if hasattr(summary, f)) + ".")
    for warning in getattr(summary, "warnings", []):
        console().print(f"[yellow]warning[/] {escape(str(warning))}")
