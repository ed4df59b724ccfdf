"""Commands for codebooks and coding: codebook, code, memo, autocode,
passages, undo, redo, history, settings."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import click

from fieldnotes.cli import cli, console, escape, open_project, parse_where, print_json
from fieldnotes.errors import FieldnotesError
from fieldnotes.passages import SCOPES, UNITS

PROJECT = click.argument("project", type=click.Path(dir_okay=False))
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
NOTES = click.option("--notes", type=click.Choice(["include", "exclude", "only"]), default="include",
                     show_default=True,
                     help="The researcher's own notes (observation notes, 'Note:' lines): keep them, "
                          "leave them out, or show only them.")
CODER = click.option("--coder", help="Who is coding (default: FIELDNOTES_CODER, the config file, your login).")
WHERE = click.option("--where", "where", multiple=True, metavar="NAME=VALUE",
                     help="Only documents whose attribute NAME has VALUE (repeatable).")


def _swatch(colour: str | None) -> str:
    return f"[on {colour}]  [/] " if colour else ""


# -- codebook ------------------------------------------------------------------

@cli.group()
def codebook() -> None:
    """Import, export and show the codebook.

    \b
    Example:
      fieldnotes codebook import study.fnp codebooks/social-care-workforce.yaml
      fieldnotes codebook tree study.fnp
    """


@codebook.command("import")
@PROJECT
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def codebook_import(project: str, file: str) -> None:
    """Merge a codebook file (.yaml or REFI-QDA .qdc) into the project's
    codebook by name path: new codes are added, existing ones updated.

    \b
    Example:
      fieldnotes codebook import study.fnp codebooks/social-care-workforce.yaml
      fieldnotes codebook import study.fnp from-nvivo.qdc
    """
    from fieldnotes.exchange.codebooks import read_codebook

    nodes = read_codebook(Path(file))
    with open_project(project) as proj:
        counts = proj.codebook.import_codebook(nodes, source=Path(file).name)
    console().print(f"{counts['added']} code(s) added, {counts['updated']} updated, "
                    f"{counts['unchanged']} unchanged from {escape(file)} (undo with 'fieldnotes undo').")


@codebook.command("export")
@PROJECT
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="File to write: .yaml or .qdc (REFI-QDA), by extension.")
@click.option("--name", help="Codebook title (YAML); default: the project's name.")
@click.option("--original", is_flag=True, help="Code names and definitions as written, unscrubbed (warns).")
def codebook_export(project: str, output: str, name: str | None, original: bool) -> None:
    """Write the codebook to a .yaml or REFI-QDA .qdc file. Code names and
    definitions are pseudonymised like every export (a code named after a
    participant), unless --original.

    \b
    Example:
      fieldnotes codebook export study.fnp -o codebook.qdc
      fieldnotes codebook export study.fnp -o codebook.yaml
    """
    from fieldnotes.cli.pseudo import output_view
    from fieldnotes.exchange.codebooks import codebook_format, write_codebook

    out = Path(output)
    codebook_format(out, writing=True)  # a wrong extension says so before any work
    with open_project(project) as proj:
        nodes = output_view(proj, original, "code names and definitions as written.").codebook(proj.codebook.codebook_nodes())
        title = name or proj.setting("codebook_name") or Path(project).stem
    write_codebook(out, nodes, name=title)
    count = sum(1 for n in nodes for _ in n.walk())
    console().print(f"Wrote {count} codes to {escape(output)}.")


@codebook.command("tree")
@PROJECT
@JSON
def codebook_tree(project: str, as_json: bool) -> None:
    """Show the codebook as a tree with coding counts (own / with sub-codes).

    \b
    Example:
      fieldnotes codebook tree study.fnp --json
    """
    with open_project(project) as proj:
        roots = proj.codebook.code_tree()
        shown = proj.reading.names_as_read()   # under the 'view pseudonymised' setting

    def data(code):
        return {"name": shown("code", code.name), "path": shown("code", code.path),
                "description": shown("text", code.description),
                "colour": code.colour, "count": code.codings, "total": code.total,
                "children": [data(c) for c in code.children]}

    if as_json:
        print_json([data(c) for c in roots])
        return
    from rich.tree import Tree

    tree = Tree("[bold]Codebook[/]")

    def add(branch, code):
        label = f"{_swatch(code.colour)}{escape(shown('code', code.name))} [dim]{code.codings}"
        label += f" / {code.total}[/]" if code.children else "[/]"
        node = branch.add(label)
        for child in code.children:
            add(node, child)

    for root in roots:
        add(tree, root)
    if not roots:
        tree.add("[dim](empty: fieldnotes code add, or fieldnotes codebook import)[/]")
    console().print(tree)


# -- codes ------------------------------------------------------------------------

@cli.group()
def code() -> None:
    """Create and change codes; apply them to passages.

    \b
    Example:
      fieldnotes code add study.fnp "Caseload and time/Caseload"
      fieldnotes code apply study.fnp --doc p1_int_sw01 --code Caseload --match "twenty-four cases"
    """


def _fields(description, inclusion, exclusion, example, colour) -> dict:
    values = {"description": description, "inclusion": inclusion, "exclusion": exclusion,
              "example": example, "colour": colour}
    return {k: v for k, v in values.items() if v is not None}


def _field_options(f):
    for name in ("colour", "example", "exclusion", "inclusion", "description"):
        f = click.option(f"--{name}", help=f"The code's {name}." + (" #RRGGBB." if name == "colour" else ""))(f)
    return f


@code.command("add")
@PROJECT
@click.argument("path")
@_field_options
def code_add(project, path, description, inclusion, exclusion, example, colour) -> None:
    """Add a code; PATH is "Group/Code" (missing parents are created).

    \b
    Example:
      fieldnotes code add study.fnp "Management culture/Audit and compliance" --description "Audits, targets"
    """
    with open_project(project) as proj:
        created = proj.codebook.add_code(path, **{k: v or "" for k, v in _fields(description, inclusion, exclusion, example, None).items()},
                                colour=colour)
    console().print(f"Added {_swatch(created.colour)}[bold]{escape(created.path)}[/].")


@code.command("edit")
@PROJECT
@click.argument("code_name", metavar="CODE")
@_field_options
def code_edit(project, code_name, description, inclusion, exclusion, example, colour) -> None:
    """Change a code's description, inclusion/exclusion notes, example or colour.

    \b
    Example:
      fieldnotes code edit study.fnp Caseload --colour "#56B4E9" --inclusion "Numbers of cases, weighting"
    """
    fields = _fields(description, inclusion, exclusion, example, colour)
    if not fields:
        raise FieldnotesError("Give at least one of --description, --inclusion, --exclusion, --example, --colour.")
    with open_project(project) as proj:
        changed = proj.codebook.update_code(code_name, **fields)
    console().print(f"Updated [bold]{escape(changed.path)}[/].")


@code.command("show")
@PROJECT
@click.argument("code_name", metavar="CODE")
@JSON
def code_show(project, code_name, as_json) -> None:
    """Show a code's description, notes, example and counts.

    \b
    Example:
      fieldnotes code show study.fnp Caseload
    """
    with open_project(project) as proj:
        found = proj.codebook.code(code_name)
        if proj.reading.shows_pseudonymised():   # a code's name or notes can name a participant
            shown = proj.reading.names_as_read(pseudonymised=True)
            found = replace(found, name=shown("code", found.name), path=shown("code", found.path),
                            **{key: shown("text", getattr(found, key))
                               for key in ("description", "inclusion", "exclusion", "example")})
    if as_json:
        data = asdict(found)
        data.pop("children")
        print_json(data)
        return
    out = console()
    out.print(f"{_swatch(found.colour)}[bold]{escape(found.path)}[/]  {found.codings} coding(s), {found.total} with sub-codes")
    for key in ("description", "inclusion", "exclusion", "example"):
        value = getattr(found, key)
        if value:
            out.print(f"[bold]{key}:[/] {escape(value)}")


@code.command("rename")
@PROJECT
@click.argument("code_name", metavar="CODE")
@click.argument("new_name")
def code_rename(project, code_name, new_name) -> None:
    """Rename a code (its codings keep it).

    \b
    Example:
      fieldnotes code rename study.fnp "Caseload" "Caseload size"
    """
    with open_project(project) as proj:
        renamed = proj.codebook.rename_code(code_name, new_name)
    console().print(f"Renamed to [bold]{escape(renamed.path)}[/].")


@code.command("move")
@PROJECT
@click.argument("code_name", metavar="CODE")
@click.option("--to", "parent", help="New parent code (omit, or --top, for the top level).")
@click.option("--top", is_flag=True, help="Move to the top level.")
def code_move(project, code_name, parent, top) -> None:
    """Move a code, with its sub-codes, under another code or to the top.

    \b
    Example:
      fieldnotes code move study.fnp "Hot-desking" --to Infrastructure
    """
    if parent and top:
        raise FieldnotesError("Give --to PARENT or --top, not both.")
    with open_project(project) as proj:
        moved = proj.codebook.move_code(code_name, None if top else parent)
    console().print(f"Moved to [bold]{escape(moved.path)}[/].")


@code.command("merge")
@PROJECT
@click.argument("source")
@click.argument("target")
def code_merge(project, source, target) -> None:
    """Merge SOURCE into TARGET: codings, memos and sub-codes move, SOURCE goes.

    \b
    Example:
      fieldnotes code merge study.fnp "Caseloads" "Caseload"
    """
    with open_project(project) as proj:
        moved = proj.codebook.merge_codes(source, target)
    console().print(f"Merged {escape(source)} into {escape(target)} ({moved} coding(s) moved).")


@code.command("delete")
@PROJECT
@click.argument("code_name", metavar="CODE")
@click.option("--force", is_flag=True, help="Delete even when the code has codings (they go too).")
def code_delete(project, code_name, force) -> None:
    """Delete a code and its sub-codes (refused while in use without --force).

    \b
    Example:
      fieldnotes code delete study.fnp "Old idea" --force
    """
    with open_project(project) as proj:
        gone = proj.codebook.delete_code(code_name, force=force)
    console().print(f"Deleted {escape(code_name)}" + (f" and {gone} coding(s)" if gone else "") + " (undo with 'fieldnotes undo').")


def _range(proj, doc, start, end, match, occurrence, expand):
    if match is not None and (start is not None or end is not None):
        raise FieldnotesError("Give --match or --start/--end, not both.")
    if match is not None:
        start, end = proj.coding.find_text(doc, match, occurrence)
    elif start is None or end is None:
        raise FieldnotesError("Say which passage: --start S --end E, or --match \"quoted text\".")
    if expand:
        start, end = proj.coding.expand_passage(doc, start, end, expand)
    return start, end


RANGE_OPTIONS = [
    click.option("--doc", "doc", required=True, help="The document (name as 'documents' lists it)."),
    click.option("--start", type=int, help="First character (0-based)."),
    click.option("--end", type=int, help="One past the last character."),
    click.option("--match", help="The passage's words, as they appear in the document."),
    click.option("--occurrence", type=int, help="Which occurrence of --match (1, 2, ...) when there are several."),
    click.option("--expand", type=click.Choice(UNITS),
                 help="Grow the passage to whole words, sentences, paragraphs or speaker turns."),
]


def _range_options(f):
    for option in reversed(RANGE_OPTIONS):
        f = option(f)
    return f


@code.command("apply")
@PROJECT
@_range_options
@click.option("--code", "code_name", required=True, help="Code name or path.")
@CODER
def code_apply(project, doc, start, end, match, occurrence, expand, code_name, coder) -> None:
    """Code a passage of a document.

    \b
    Example:
      fieldnotes code apply study.fnp --doc p1_int_sw01 --code Caseload --start 120 --end 245
      fieldnotes code apply study.fnp --doc p1_int_sw01 --code Caseload --match "my caseload" --expand sentence
    """
    with open_project(project) as proj:
        proj.coders.act_as(coder)
        start, end = _range(proj, doc, start, end, match, occurrence, expand)
        coding, new = proj.coding.apply_coding(doc, code_name, start, end)
    verb = "Coded" if new else "Already coded"
    console().print(f"{verb} {escape(coding.document)} {coding.start}-{coding.end} as [bold]{escape(coding.code)}[/] "
                    f"(coding {coding.id}): \"{escape(_short(coding.text))}\"")


def _flat(text: str) -> str:
    """Whitespace runs become one space; leading and trailing spaces stay."""
    import re

    return re.sub(r"\s+", " ", text)


def _tail(text: str, width: int) -> str:
    flat = _flat(text)
    return flat if len(flat) <= width else "…" + flat[-(width - 1):]


def _head(text: str, width: int) -> str:
    flat = _flat(text)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _short(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@code.command("remove")
@PROJECT
@click.option("--id", "coding_id", type=int, help="The coding's id (see 'code list').")
@click.option("--doc", help="The document, with --code and --at (or --match).")
@click.option("--code", "code_name", help="Code name or path.")
@click.option("--at", type=int, help="A character inside the coded passage.")
@click.option("--match", help="Words inside the coded passage.")
def code_remove(project, coding_id, doc, code_name, at, match) -> None:
    """Remove a coding, by id or by document, code and position.

    \b
    Example:
      fieldnotes code remove study.fnp --id 42
      fieldnotes code remove study.fnp --doc p1_int_sw01 --code Caseload --match "my caseload"
    """
    with open_project(project) as proj:
        if coding_id is None:
            if not (doc and code_name and (at is not None or match)):
                raise FieldnotesError("Give --id, or --doc with --code and --at or --match.")
            if match:
                at = proj.coding.find_text(doc, match)[0]
            gone = proj.coding.remove_at(doc, at, code=code_name)
        else:
            gone = proj.coding.remove_coding(coding_id)
    console().print(f"Removed {escape(gone.code)} from {escape(gone.document)} {gone.start}-{gone.end} (undo with 'fieldnotes undo').")


@code.command("list")
@PROJECT
@click.option("--doc", help="Only this document.")
@click.option("--code", "code_name", help="Only this code (and its sub-codes).")
@JSON
def code_list(project, doc, code_name, as_json) -> None:
    """List codings, of a document or a code.

    \b
    Example:
      fieldnotes code list study.fnp --doc p1_int_sw01
    """
    with open_project(project) as proj:
        rows = proj.coding.codings(document=doc, code=code_name)
        if proj.reading.shows_pseudonymised():
            rows = _codings_as_read(proj, rows)
            shown = proj.reading.names_as_read(pseudonymised=True)
            rows = [replace(c, document=shown("document", c.document), code=shown("code", c.code)) for c in rows]
    if as_json:
        print_json([asdict(c) for c in rows])
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} codings", title_justify="left")
    for col in ("id", "document", "range", "code", "coder", "text"):
        table.add_column(col, overflow="fold")
    for c in rows:
        table.add_row(str(c.id), escape(c.document), f"{c.start}-{c.end}", escape(c.code), escape(c.coder or ""),
                      escape(_short(c.text, 60)))
    console().print(table)


def _codings_as_read(proj, rows):
    """Codings with their text as a coder under the 'view' setting may read it."""
    views = proj.reading.readings([c.document for c in rows], pseudonymised=True)
    return [replace(c, text=views[c.document].text[slice(*views[c.document].to_view(c.start, c.end))]) for c in rows]


# -- memos ------------------------------------------------------------------------

@cli.group()
def memo() -> None:
    """Memos on the project, a document, a code, a coding or a case.

    \b
    Example:
      fieldnotes memo add study.fnp --code Caseload "Phase 2 managers blame weighting"
      fieldnotes memo list study.fnp
    """


def _target(doc, code_name, coding, case):
    given = [(t, v) for t, v in (("document", doc), ("code", code_name), ("coding", coding), ("case", case)) if v is not None]
    if len(given) > 1:
        raise FieldnotesError("A memo belongs to one thing: give one of --doc, --code, --coding, --case (none: the project).")
    return given[0] if given else ("project", None)


TARGET_OPTIONS = [
    click.option("--doc", help="A memo on this document."),
    click.option("--code", "code_name", help="A memo on this code."),
    click.option("--coding", type=int, help="A memo on this coding (id)."),
    click.option("--case", help="A memo on this case."),
]


def _target_options(f):
    for option in reversed(TARGET_OPTIONS):
        f = option(f)
    return f


@memo.command("add")
@PROJECT
@click.argument("text")
@_target_options
@click.option("--title", default="", help="A short title.")
@CODER
def memo_add(project, text, doc, code_name, coding, case, title, coder) -> None:
    """Write a memo (on the project unless --doc/--code/--coding/--case).

    \b
    Example:
      fieldnotes memo add study.fnp --doc p2_int_sw01 "Anita sounds exhausted here"
    """
    target_type, target = _target(doc, code_name, coding, case)
    with open_project(project) as proj:
        proj.coders.act_as(coder)
        written = proj.memos.add(target_type, target, text, title=title)
    console().print(f"Memo {written.id} on {written.target_type} {escape(written.target or '')}.")


@memo.command("list")
@PROJECT
@_target_options
@JSON
def memo_list(project, doc, code_name, coding, case, as_json) -> None:
    """List memos (all, or those on one thing).

    \b
    Example:
      fieldnotes memo list study.fnp --code Caseload
    """
    with open_project(project) as proj:
        if any(v is not None for v in (doc, code_name, coding, case)):
            rows = proj.memos.list(*_target(doc, code_name, coding, case))
        else:
            rows = proj.memos.list()
        if proj.reading.shows_pseudonymised():
            # What a memo is on names a code, document or case too: as the coder may read it.
            shown = proj.reading.names_as_read(pseudonymised=True)
            kinds = {"code": "code", "document": "document", "case": "text"}
            rows = [replace(m, text=proj.reading.memo_as_read(m.text), title=proj.reading.memo_as_read(m.title),
                            target=shown(kinds[m.target_type], m.target) if m.target_type in kinds and m.target
                            else m.target) for m in rows]
    if as_json:
        print_json([asdict(m) for m in rows])
        return
    out = console()
    for m in rows:
        out.print(f"[bold]{m.id}[/] {m.target_type} {escape(m.target or '')} [dim]{escape(m.coder or '')} {m.updated_at}[/]")
        out.print(f"  {escape(m.title + ': ' if m.title else '')}{escape(m.text)}")
    if not rows:
        out.print("No memos.")


@memo.command("edit")
@PROJECT
@click.argument("memo_id", type=int)
@click.argument("text")
def memo_edit(project, memo_id, text) -> None:
    """Replace a memo's text.

    \b
    Example:
      fieldnotes memo edit study.fnp 3 "Revised thought"
    """
    with open_project(project) as proj:
        proj.memos.edit(memo_id, text)
    console().print(f"Memo {memo_id} updated.")


@memo.command("delete")
@PROJECT
@click.argument("memo_id", type=int)
def memo_delete(project, memo_id) -> None:
    """Delete a memo.

    \b
    Example:
      fieldnotes memo delete study.fnp 3
    """
    with open_project(project) as proj:
        proj.memos.delete(memo_id)
    console().print(f"Memo {memo_id} deleted (undo with 'fieldnotes undo').")


# -- undo, redo, history ----------------------------------------------------------------

@cli.command()
@PROJECT
def undo(project) -> None:
    """Undo the last change to codes, codings or memos.

    \b
    Example:
      fieldnotes undo study.fnp
    """
    with open_project(project) as proj:
        summary = proj.reading.memo_as_read(proj.history.undo())   # a summary may name a code or a memo's target
    console().print(f"Undone: {escape(summary)}")


@cli.command()
@PROJECT
def redo(project) -> None:
    """Redo the last undone change.

    \b
    Example:
      fieldnotes redo study.fnp
    """
    with open_project(project) as proj:
        summary = proj.reading.memo_as_read(proj.history.redo())
    console().print(f"Redone: {escape(summary)}")


@cli.command("history")
@PROJECT
@click.option("--limit", default=20, show_default=True)
@JSON
def history_(project, limit, as_json) -> None:
    """List recent changes (newest first) and whether they are undone.

    \b
    Example:
      fieldnotes history study.fnp
    """
    with open_project(project) as proj:
        rows = proj.history.entries(limit)
        if proj.reading.shows_pseudonymised():   # a summary may name a code, a case or a document
            rows = [replace(h, summary=proj.reading.memo_as_read(h.summary)) for h in rows]
    if as_json:
        print_json([asdict(h) for h in rows])
        return
    out = console()
    for h in rows:
        mark = "[dim](undone)[/] " if h.state == "undone" else ""
        out.print(f"{h.at} {escape(h.actor or '')}: {mark}{escape(h.summary)}")


# -- autocode and passages ----------------------------------------------------------------

@cli.command()
@PROJECT
@click.option("--code", "code_name", required=True, help="The code to apply.")
@click.option("--keyword", "keywords", multiple=True, help="A word or phrase (whole words, any case); repeatable.")
@click.option("--regex", help="A regular expression (case-insensitive).")
@click.option("--fuzzy", help="A phrase matched approximately (misspellings, 'case load' for 'caseload').")
@click.option("--threshold", default=85.0, show_default=True, help="Fuzzy similarity needed, 0-100.")
@click.option("--speaker", help="Code every turn of this speaker (e.g. SW, Mum).")
@click.option("--scope", type=click.Choice(SCOPES), default="sentence",
              show_default=True, help="How much around each hit becomes the passage.")
@click.option("--doc", "docs", multiple=True, help="Only these documents (repeatable).")
@WHERE
@click.option("--dry-run", is_flag=True, help="Show the hits without coding anything.")
@CODER
@JSON
def autocode(project, code_name, keywords, regex, fuzzy, threshold, speaker, scope, docs, where, dry_run, coder, as_json) -> None:
    """Code every passage matching a keyword, regex, fuzzy phrase or speaker.
    Preview with --dry-run; applying is one action that 'undo' reverses.

    \b
    Example:
      fieldnotes autocode study.fnp --code Caseload --keyword caseload --scope sentence --dry-run
      fieldnotes autocode study.fnp --code Caseload --fuzzy caseload --threshold 85
      fieldnotes autocode study.fnp --code "Families' experience" --speaker Mum --scope turn
    """
    with open_project(project) as proj:
        proj.coders.act_as(coder)
        hits, new = proj.coding.autocode(code_name, keywords=keywords, regex=regex, fuzzy=fuzzy, threshold=threshold,
                                  speaker=speaker, scope=scope, documents=docs, where=parse_where(where),
                                  dry_run=dry_run)
        texts = {}
        if not as_json:
            for name in {h.document for h in hits}:
                texts[name] = proj.document(name).text
    if as_json:
        print_json({"hits": [asdict(h) for h in hits], "applied": new, "dry_run": dry_run})
        return
    out = console()
    if dry_run:
        from rich.table import Table

        table = Table(title=f"{len(hits)} passage(s) would be coded {code_name} (dry run)", title_justify="left")
        for col in ("document", "range", "speaker", "passage"):
            table.add_column(col, overflow="fold")
        for h in hits:
            text = texts[h.document]
            before, hit, after = text[h.start:h.match_start], text[h.match_start:h.match_end], text[h.match_end:h.end]
            passage = f"{escape(_tail(before, 70))}[reverse bold]{escape(_flat(hit))}[/]{escape(_head(after, 70))}"
            done = " [dim](already coded)[/]" if h.already_coded else ""
            table.add_row(escape(h.document), f"{h.start}-{h.end}", escape(h.speaker or ""), passage + done)
        out.print(table)
        out.print("Nothing was coded. Run again without --dry-run to apply.")
    else:
        already = sum(h.already_coded for h in hits)
        out.print(f"Coded {new} passage(s) as [bold]{escape(code_name)}[/]"
                  + (f"; {already} already had it" if already else "") + " (undo with 'fieldnotes undo').")


@cli.command()
@PROJECT
@click.option("--code", "code_name", required=True, help="Code name or path.")
@click.option("--no-children", is_flag=True, help="Leave out passages coded only with sub-codes.")
@WHERE
@click.option("--coder", help="Only this coder's codings.")
@NOTES
@JSON
def passages(project, code_name, no_children, where, coder, notes, as_json) -> None:
    """Every passage of a code (sub-codes included) with document, speaker,
    attribution and text. A passage that spans speaker turns is shown turn
    by turn, each with its speaker's attribution; the researcher's own notes
    (observation notes, "Note:" lines) are marked [note] and attributed as
    notes (setting observation_attribution_template).

    \b
    Example:
      fieldnotes passages study.fnp --code Caseload --where phase=2
      fieldnotes passages study.fnp --code Caseload --notes exclude
      fieldnotes passages study.fnp --code "Management culture" --where role="SW CP" --json
    """
    with open_project(project) as proj:
        rows = proj.coding.passages(code_name, include_children=not no_children, where=parse_where(where), coder=coder,
                             notes=notes)
        rows = proj.reading.passages_as_read(rows)  # pseudonymised under the 'view' setting
        shown = proj.reading.names_as_read()
    if as_json:
        print_json([{"document": shown("document", p.document), "code": shown("code", p.code), "start": p.start,
                     "end": p.end, "speaker": p.speaker,
                     "attribution": p.attribution, "text": p.text, "coder": p.coder, "note": p.note,
                     "turns": [{"start": s.start, "end": s.end, "speaker": s.speaker, "attribution": s.attribution,
                                "note": s.note, "cases": list(s.cases), "text": s.text} for s in p.segments]}
                    for p in rows])
        return
    out = console()
    for p in rows:
        who = f" [bold cyan]{escape(p.speaker)}[/]" if p.speaker and len(p.segments) == 1 else ""
        out.print(f"[bold]{escape(shown('document', p.document))}[/] {p.start}-{p.end}{who} "
                  f"[dim]{escape(shown('code', p.code))}[/]")
        for s in p.segments:
            speaker = f"[bold cyan]{escape(s.speaker)}[/]: " if s.speaker and len(p.segments) > 1 else ""
            mark = "[magenta]\\[note][/] " if s.note else ""
            out.print(f"  {mark}{speaker}\"{escape(' '.join(s.text.split()))}\""
                      + (f" ({escape(s.attribution)})" if s.attribution else ""))
    out.print(f"[dim]{len(rows)} passage(s)[/]")


@cli.command()
@PROJECT
@click.argument("key", required=False)
@click.argument("value", required=False)
def settings(project, key, value) -> None:
    """Show or change project settings, such as the attribution template
    used for quotes ({role}, {years_qualified}, any attribute, {case}, {speaker}).

    \b
    Example:
      fieldnotes settings study.fnp
      fieldnotes settings study.fnp attribution_template "{role}, {years_qualified} years qualified"
    """
    with open_project(project) as proj:
        if key and value is not None:
            proj.set_setting(key, value)
        rows = proj.settings() if not key else {key: proj.setting(key)}
    for k, v in rows.items():
        console().print(f"[bold]{escape(k)}[/] = {escape(str(v))}")


@cli.command("config")
@PROJECT
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--coder", help="For 'view': set it for this coder only (default: every coder).")
def config(project, key, value, coder) -> None:
    """Show or change a project setting. 'view pseudonymised' makes the
    workspace open in, and stay in, the pseudonymised view, and makes every
    command that prints document text (show, search, passages, code list)
    print it pseudonymised; 'view original' undoes it. 'key_attributes'
    names the attributes shown first (documents pane and list, matrix).

    \b
    Example:
      fieldnotes config study.fnp view pseudonymised
      fieldnotes config study.fnp view
      fieldnotes config study.fnp view original --coder "Sam Lee"
      fieldnotes config study.fnp key_attributes "phase,role,site"
    """
    with open_project(project) as proj:
        if key == "view":
            if value is not None:
                proj.reading.set_text_view(value, coder)
            shown = proj.reading.text_view(coder)
            scope = f"for {coder}" if coder else "for every coder without a setting of their own"
            if not coder:
                scope += "".join(f"; {name}: {v}" for name, v in sorted(proj.reading.coder_views().items()))
            console().print(f"[bold]view[/] = {escape(shown)}  [dim]({escape(scope)})[/]")
            return
        if coder:
            raise FieldnotesError("--coder goes with the 'view' setting only.")
        if key == "key_attributes" and value is not None:
            proj.study.set_key_attributes(value)  # refuses an attribute the project does not have
        elif key and value is not None:
            proj.set_setting(key, value)
        rows = proj.settings() if not key else {key: proj.setting(key)}
    for k, v in rows.items():
        console().print(f"[bold]{escape(k)}[/] = {escape(str(v))}")
