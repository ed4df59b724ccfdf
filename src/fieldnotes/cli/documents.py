"""Commands for projects and documents: init, import, documents, show, search,
cases, attributes, info, demo."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import click

from fieldnotes.cli import cli, console, err_console, escape, open_project, parse_where, print_json
from fieldnotes.model import KINDS

PROJECT = click.argument("project", type=click.Path(dir_okay=False))
WHERE = click.option(
    "--where", "where", multiple=True, metavar="NAME=VALUE",
    help="Only documents whose attribute NAME has VALUE (repeatable; kind= and case= work too).",
)
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def _attrs(attributes: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in attributes.items())


@cli.command()
@PROJECT
@click.option("--encrypt", is_flag=True,
              help="Encrypt the project with a passphrase (asked for, or FIELDNOTES_PASSPHRASE / --passphrase-file).")
def init(project: str, encrypt: bool) -> None:
    """Create an empty project file, readable by you only.

    \b
    Example:
      fieldnotes init study.fnp
      fieldnotes init --encrypt study.fnp
    """
    from fieldnotes.cli import unlock
    from fieldnotes.project import Project

    passphrase = unlock(project, new=True) if encrypt else None
    Project.create(project, passphrase=passphrase).close()
    what = "encrypted project" if encrypt else "project"
    console().print(f"Created the {what} [bold]{escape(project)}[/] (readable by you only). "
                    f"Next: fieldnotes import {escape(project)} FOLDER")


@cli.command("import")
@PROJECT
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False),
              help="CSV or XLSX with a row per file: file, kind, case(s) and attributes.")
@click.option("--kind", type=click.Choice(KINDS), help="Kind of every file not given a kind by the manifest.")
@click.option("--replace", is_flag=True, help="Replace a document of the same name whose content differs.")
@click.option("--max-size", default=50, show_default=True, metavar="MB", type=click.FloatRange(min=0.001),
              help="Refuse files larger than this many megabytes.")
@JSON
def import_(project: str, paths: tuple[str, ...], manifest: str | None, kind: str | None, replace: bool,
            max_size: float, as_json: bool) -> None:
    """Import transcripts and notes (.txt .md .docx .odt .pdf .vtt .srt);
    folders are read recursively. Bad files are named and skipped; the exit
    code is 1 when any file failed.

    \b
    Example:
      fieldnotes import study.fnp transcripts/ --manifest participants.csv
      fieldnotes import study.fnp notes/visit3.md --kind observation
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with open_project(project) as proj, Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console(), transient=True, disable=as_json,
    ) as bar:
        task = bar.add_task("Importing", total=None)

        def advance(outcome) -> None:
            bar.update(task, advance=1, description=f"Importing {Path(outcome.path).name[:40]}")

        report = proj.intake.import_paths(
            list(paths), manifest=manifest, kind=kind, replace=replace,
            max_bytes=int(max_size * 1024 * 1024), progress=advance,
            on_files=lambda n: bar.update(task, total=n),
        )
    if as_json:
        print_json({"files": [asdict(o) for o in report.outcomes], "notes": report.notes})
    else:
        out = console()
        styles = {"imported": "green", "replaced": "yellow", "skipped": "cyan", "failed": "bold red"}
        for o in report.outcomes:
            if o.status == "imported" and not o.message and not o.warnings:
                continue
            detail = o.message or ""
            out.print(f"[{styles[o.status]}]{o.status:>8}[/] {escape(o.path)}: {escape(detail)}".rstrip(": "))
            for warning in o.warnings:
                out.print(f"[yellow] warning[/] {escape(o.path)}: {escape(warning)}")
        for note in report.notes:
            out.print(f"[yellow]    note[/] {escape(note)}")
        counts = {s: len(report.of(s)) for s in ("imported", "replaced", "skipped", "failed")}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing to import"
        out.print(f"[bold]{summary}[/] into {escape(project)}")
    if report.failed:
        raise SystemExit(1)


@cli.command()
@PROJECT
@WHERE
@JSON
def documents(project: str, where: tuple[str, ...], as_json: bool) -> None:
    """List documents with kind, words, turns, cases and attributes.

    \b
    Example:
      fieldnotes documents study.fnp --where phase=2
    """
    with open_project(project) as proj:
        docs = proj.documents(parse_where(where))
        # One column per attribute, the study's key attributes first.
        names = proj.study.ordered_attributes(k for d in docs for k in d.attributes)
        # Under the 'view pseudonymised' setting: names, cases and values as the coder may read them.
        shown = proj.reading.names_as_read()
        docs = [replace(d, name=shown("document", d.name)) for d in proj.reading.documents_as_read(docs)]
    if as_json:
        print_json([asdict(d) for d in docs])
        return
    from rich.table import Table

    table = Table(title=f"{len(docs)} documents", title_justify="left")
    for col, justify in [("document", "left"), ("kind", "left"), ("words", "right"), ("turns", "right"),
                         ("codings", "right"), ("cases", "left")]:
        table.add_column(col, justify=justify, no_wrap=col in {"document", "kind"})
    for name in names:
        table.add_column(name.replace("_", " "), overflow="fold")
    for d in docs:
        table.add_row(escape(d.name), d.kind, f"{d.words:,}", str(d.turns), str(d.codings),
                      escape(", ".join(d.cases)), *(escape(str(d.attributes.get(n, ""))) for n in names))
    console().print(table)


@cli.command()
@PROJECT
@click.argument("document")
@click.option("--turns/--text", "by_turns", default=True, help="Show speaker turns (default) or the plain text.")
@JSON
def show(project: str, document: str, by_turns: bool, as_json: bool) -> None:
    """Show a document with its speaker turns.

    A document is named as 'documents' lists it, or without its extension
    when that is unambiguous.

    \b
    Example:
      fieldnotes show study.fnp p1_int_sw01
    """
    with open_project(project) as proj:
        doc = proj.reading.document_as_read(document)  # pseudonymised under the 'view' setting
        by_label = proj.attributes.speaker_cases().get(doc.id, {})
        pseudonymised = proj.reading.shows_pseudonymised()
        if pseudonymised:
            view = proj.reading.reading_view()
            by_label = {view.speaker(label): view.scrub(case) for label, case in by_label.items()}
    labels = {t.speaker.casefold(): t.speaker for t in doc.turns if t.speaker}
    linked = [(labels.get(k.casefold(), k), case) for k, case in by_label.items()]
    if as_json:
        print_json(asdict(doc))
        return
    out = console()
    out.print(f"[bold]{escape(doc.name)}[/]  {doc.kind}, {doc.words:,} words, {len(doc.turns)} turns")
    if doc.cases:
        out.print(f"cases: {escape(', '.join(doc.cases))}")
    if linked:
        out.print("speakers: " + escape(", ".join(f"{speaker} = {case}" for speaker, case in linked)))
    if doc.attributes:
        out.print(escape(_attrs(doc.attributes)))
    out.print()
    if not by_turns or not doc.turns:
        out.print(escape(doc.text))
        return
    # What comes before the first turn's line (a title, a date), without that
    # turn's own label ("Interviewer:"), which is printed with the turn.
    first = max(0, doc.text.rfind("\n", 0, doc.turns[0].start))
    if doc.text[:first].strip():
        out.print(f"[dim]{escape(doc.text[:first].rstrip())}[/]\n")
    for turn in doc.turns:
        stamp = f"[dim]{_clock(turn.time_start)}[/] " if turn.time_start is not None else ""
        out.print(f"{stamp}[bold cyan]{escape(turn.speaker or '?')}[/]: {escape(doc.text[turn.start:turn.end])}\n")


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


@cli.command()
@PROJECT
@click.argument("query")
@WHERE
@click.option("--limit", default=50, show_default=True, help="Show at most this many hits (0: all).")
@JSON
def search(project: str, query: str, where: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Full-text search: words, "a phrase", prefix*, a OR b, a NOT b.

    The query is matched within each speaker turn (each paragraph in notes
    and other documents without turns), not across a whole document:
    'agency NOT staff' finds the turns that say "agency" but not "staff";
    'caseload supervision' the turns that mention both. Each hit shows its
    document, speaker and attributes with a snippet.

    \b
    Example:
      fieldnotes search study.fnp caseload
      fieldnotes search study.fnp '"direct work"' --where phase=2
      fieldnotes search study.fnp 'supervis*' --where role="SW CP"
      fieldnotes search study.fnp 'agency NOT staff'
    """
    with open_project(project) as proj:
        # Under the 'view pseudonymised' setting: pseudonymised snippets, "[Person 2]" searchable.
        hits = proj.reading.search_as_read(query, where=parse_where(where), limit=limit or None)
    if as_json:
        print_json([asdict(h) for h in hits])
        return
    out = console()
    if not hits:
        out.print(f"No matches for {escape(query)}.")
        return
    for h in hits:
        a, b = h.snippet_hit
        who = f" [bold cyan]{escape(h.speaker)}[/]" if h.speaker else ""
        attrs = f" [dim]({escape(_attrs(h.attributes))})[/]" if h.attributes else ""
        out.print(f"[bold]{escape(h.document)}[/] @{h.start}{who}{attrs}")
        out.print(f"  {escape(h.snippet[:a])}[reverse bold]{escape(h.snippet[a:b])}[/]{escape(h.snippet[b:])}")
    out.print(f"[dim]{len(hits)} hit(s)" + (" (limit reached; use --limit 0 for all)" if limit and len(hits) >= limit else "") + "[/]")


class _CasesGroup(click.Group):
    """``fieldnotes cases PROJECT`` lists the cases (as it always has); the
    subcommands (link, unlink) change them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in {"-h", "--help"}:
            args = ["list", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_CasesGroup)
def cases() -> None:
    """List cases (participants, families, sites) and their documents; link
    a speaker of a joint interview or focus group to a case.

    \b
    Example:
      fieldnotes cases study.fnp
      fieldnotes cases link study.fnp EH02 --document p3_int_eh02 --speaker "DC Hale"
    """


def _shared(documents_attributes: list[dict]) -> dict:
    """The attributes every one of a case's documents has with one value
    (role, team, site): what describes the case itself."""
    if not documents_attributes:
        return {}
    first, *rest = documents_attributes
    return {k: v for k, v in first.items() if all(other.get(k) == v for other in rest)}


@cases.command("list")
@PROJECT
@JSON
def cases_list(project: str, as_json: bool) -> None:
    """List cases with their documents (and, where a document holds several
    cases, the speaker label that is the case) and their attributes: the
    case's own ('cases set'), else those all its documents share.

    \b
    Example:
      fieldnotes cases list study.fnp
    """
    with open_project(project) as proj:
        rows = proj.reading.cases_as_read(proj.attributes.cases())   # pseudonymised under the 'view' setting
        shown = proj.reading.names_as_read()
        attributes = {shown("document", d.name): d.attributes
                      for d in proj.reading.documents_as_read(proj.documents())}
    if as_json:
        print_json([asdict(c) for c in rows])
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} cases", title_justify="left")
    table.add_column("case", no_wrap=True)
    table.add_column("documents (speaker)", overflow="fold")
    table.add_column("attributes (the case's own, else those its documents share)", overflow="fold")
    for c in rows:
        speakers = dict(c.speakers)
        docs = [f"{d} ({speakers[d]})" if d in speakers else d for d in c.documents]
        shared = {**_shared([attributes.get(d, {}) for d in c.documents]), **c.attributes}
        shared = {k: v for k, v in shared.items() if k != "date"}  # the day of one interview says little of a case
        table.add_row(escape(c.name), escape(", ".join(docs)), escape(_attrs(shared)))
    console().print(table)


@cases.command("link")
@PROJECT
@click.argument("case")
@click.option("--document", "document", required=True, help="The document (as 'documents' lists it).")
@click.option("--speaker", help="The speaker label whose turns are this case's words (a joint interview, "
                                 "a focus group). Without it the whole document is the case's.")
def cases_link(project: str, case: str, document: str, speaker: str | None) -> None:
    """Link a case to a document, or to one speaker in it: that speaker's
    turns are then attributed to the case in passages, quotes and the
    framework matrix, and the other speakers' turns are not. A case that does
    not exist yet is created.

    \b
    Example:
      fieldnotes cases link study.fnp EH02 --document p3_int_eh02 --speaker "DC Hale"
      fieldnotes cases link study.fnp SW04 --document p3_int_sw04
    """
    with open_project(project) as proj:
        proj.attributes.link_case(case, document, speaker)
    who = f"'{speaker}' in {document}" if speaker else document
    console().print(f"Linked case {escape(case)} to {escape(who)}.")


@cases.command("set")
@PROJECT
@click.argument("case")
@click.argument("pairs", nargs=-1, required=True, metavar="NAME=VALUE...")
def cases_set(project: str, case: str, pairs: tuple[str, ...]) -> None:
    """Set attributes of a case itself, for instance the role of each of two
    people interviewed together; a case's own value wins over its
    document's in attributions ("Police officer" rather than the joint
    interview's "Early Help stakeholder").

    \b
    Example:
      fieldnotes cases set study.fnp EH02 role="Police officer"
    """
    from fieldnotes.errors import FieldnotesError

    values = []
    for item in pairs:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise FieldnotesError(f"Give each attribute as NAME=VALUE, for example role=\"Police officer\" (got '{item}').")
        values.append((name.strip(), value.strip()))
    with open_project(project) as proj:
        for name, value in values:
            proj.attributes.set_case_attribute(case, name, value)
    console().print(f"Set {escape(', '.join(f'{n}={v}' for n, v in values))} on case {escape(case)}.")


@cases.command("unlink")
@PROJECT
@click.option("--document", "document", required=True, help="The document (as 'documents' lists it).")
@click.option("--speaker", required=True, help="The speaker label to unlink.")
def cases_unlink(project: str, document: str, speaker: str) -> None:
    """Forget which case a speaker is: their turns go back to all of the
    document's cases (marked 'no case' in the framework matrix).

    \b
    Example:
      fieldnotes cases unlink study.fnp --document p3_int_eh02 --speaker Grace
    """
    with open_project(project) as proj:
        proj.attributes.unlink_speaker(document, speaker)
    console().print(f"Unlinked '{escape(speaker)}' in {escape(document)}.")


@cli.command()
@PROJECT
@JSON
def attributes(project: str, as_json: bool) -> None:
    """List attributes (phase, role, ...) with their type and values.

    \b
    Example:
      fieldnotes attributes study.fnp
    """
    with open_project(project) as proj:
        rows = proj.reading.variables_as_read(proj.attributes.variables())   # pseudonymised under the 'view' setting
    if as_json:
        print_json([asdict(v) for v in rows])
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} attributes", title_justify="left")
    table.add_column("attribute")
    table.add_column("type")
    table.add_column("documents", justify="right")
    table.add_column("values", overflow="fold")
    for v in rows:
        values = ", ".join(str(x) for x in v.values[:12]) + (" ..." if len(v.values) > 12 else "")
        table.add_row(escape(v.name), v.type, str(v.documents), escape(values))
    console().print(table)


@cli.command()
@PROJECT
@JSON
def info(project: str, as_json: bool) -> None:
    """Summarise a project: documents, words, cases, codes, codings.

    \b
    Example:
      fieldnotes info study.fnp
    """
    with open_project(project) as proj:
        data = proj.info()
    if as_json:
        print_json(data)
        return
    _print_info(data)


def _print_info(data: dict) -> None:
    from rich.table import Table

    table = Table(show_header=False, title=escape(data["path"]), title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    kinds = ", ".join(f"{n} {k}" for k, n in data["kinds"].items())
    rows = [
        ("documents", f"{data['documents']}" + (f" ({kinds})" if kinds else "")),
        ("words", f"{data['words']:,}"),
        ("speaker turns", f"{data['turns']:,} by {data['speakers']} speakers"),
        ("cases", str(data["cases"])),
        ("attributes", str(data["attributes"])),
        ("codes", str(data["codes"])),
        ("codings", str(data["codings"])),
        ("memos", str(data["memos"])),
        ("schema version", str(data["schema_version"])),
        ("file size", f"{data['size_bytes'] / 1024:,.0f} KB"),
        ("access", data.get("access", "")),
        ("encrypted", "yes (SQLCipher)" if data.get("encrypted") else "no"),
    ]
    for k, v in rows:
        table.add_row(k, escape(v))
    console().print(table)


@cli.command()
@click.option("--path", "target", type=click.Path(dir_okay=False),
              help="Where to build the demo project (default: your fieldnotes data folder).")
@click.option("--rebuild", is_flag=True, help="Delete and rebuild the demo project.")
@click.option("--no-open", is_flag=True, help="Only build and summarise; do not open the workspace.")
def demo(target: str | None, rebuild: bool, no_open: bool) -> None:
    """Build the demo project from the shipped sample data (with the shipped
    social care workforce codebook) if it is missing, then open it in the
    workspace. Without a terminal (or with --no-open) it prints a summary.

    \b
    Example:
      fieldnotes demo
      fieldnotes demo --rebuild
      fieldnotes demo --no-open
    """
    import sys
    from fieldnotes.demo import build_demo, demo_path
    from fieldnotes.project import Project

    path = Path(target) if target else demo_path()
    built, report = build_demo(path, rebuild=rebuild)
    out = console()
    if built:
        out.print(f"Built the demo project at [bold]{escape(str(path))}[/] "
                  f"({len(report.of('imported'))} documents imported).")
        for o in report.failed:
            out.print(f"[bold red]  failed[/] {escape(o.path)}: {escape(o.message)}")
    else:
        out.print(f"Using the demo project at [bold]{escape(str(path))}[/] (--rebuild to start afresh).")
    if not no_open and sys.stdin.isatty() and sys.stdout.isatty():
        from fieldnotes.cli.workspace import run_workspace

        run_workspace(str(path))
        return
    with Project.open(path) as proj:
        _print_info(proj.info())
        docs = proj.documents()
        keys = proj.study.key_attributes(limit=2)
    from rich.table import Table

    table = Table(title="Documents", title_justify="left")
    for col in ("document", "kind", "words", *keys):
        table.add_column(col, justify="right" if col == "words" else "left")
    for d in docs:
        table.add_row(escape(d.name), d.kind, f"{d.words:,}", *(escape(str(d.attributes.get(k, ""))) for k in keys))
    out.print(table)
    out.print(f"Open it with: fieldnotes open {escape(str(path))}   (or: fieldnotes search {escape(str(path))} caseload)")
