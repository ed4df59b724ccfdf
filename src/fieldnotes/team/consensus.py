"""Settling disagreements into a consensus coding.

:func:`disagreements` lists the passages where coders coded a code
differently; :func:`settle` turns the researcher's decision on one into
codings by the consensus coder (:func:`consensus_coder`) and a memo on the
document that records it, as one undoable action.
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldnotes.errors import FieldnotesError
from fieldnotes.store.queries import coding as coding_queries
from fieldnotes.store.queries import team as queries
from fieldnotes.team.model import Disagreement

CONSENSUS_KEY = "consensus_coder"
DEFAULT_CONSENSUS = "consensus"
#: The start of the title of every decision memo (see ``Disagreement.title``).
DECISION_PREFIX = "Consensus: "


def consensus_coder(project) -> str:
    """The coder who holds settled codings (setting ``consensus_coder``)."""
    return project.setting(CONSENSUS_KEY) or DEFAULT_CONSENSUS


def disagreements(project, *, coders: Sequence[str] | None = None, code: str | None = None,
                  document: str | None = None) -> list[Disagreement]:
    """Every passage where the coders differ on a code, in document order.

    Codings of one code by the compared coders (default: every coder with
    codings except the consensus coder) are joined into passages wherever
    they overlap or touch; a passage where the coders' coded ranges are not
    all the same is a disagreement (including one coded by one coder only).

    Example: ``disagreements(project, coders=["anna", "ben"], code="Caseload")``.
    """
    from fieldnotes.analysis.agreement import merge

    consensus = consensus_coder(project)
    if coders:
        chosen = [(c.id, c.name) for c in (project.coders.resolve(wanted, with_codings=True) for wanted in coders)]
    else:
        chosen = [(c.id, c.name) for c in project.coders.list(with_codings=True) if c.name != consensus]
    if len(chosen) < 2:
        raise FieldnotesError("Disagreements need codings by at least two coders.")
    ids = [cid for cid, _ in chosen]
    names = {cid: name for cid, name in chosen}
    rows = queries.coded_ranges_by(
        project.conn, ids, code_id=None if code is None else project.codebook.code_id(code),
        document_id=None if document is None else project.document_id(document))
    grouped: dict[tuple[str, int], dict[int, list[tuple[int, int]]]] = {}
    for doc_name, code_id, coder_id, start, end in rows:
        grouped.setdefault((doc_name, code_id), {}).setdefault(coder_id, []).append((start, end))
    paths = {c.id: c.path for c in project.codebook.codes(counts=False)}
    decisions = queries.document_memo_titles(project.conn, DECISION_PREFIX)
    result = []
    for (doc_name, code_id), by_coder in sorted(grouped.items(), key=lambda kv: (kv[0][0], paths[kv[0][1]])):
        merged = {cid: merge(by_coder.get(cid, [])) for cid in ids}
        for start, end in merge([iv for ivs in merged.values() for iv in ivs]):
            inside = [(names[cid], tuple((s, e) for s, e in merged[cid] if s < end and e > start)) for cid in ids]
            if len({r for _, r in inside}) == 1:
                continue
            item = Disagreement(doc_name, paths[code_id], start, end, tuple(inside))
            settled = next((t.split(": ", 2)[-1] for t in decisions if t.startswith(item.title + ":")), None)
            result.append(Disagreement(doc_name, paths[code_id], start, end, tuple(inside), settled))
    return result


def settle(project, item: Disagreement, choice: str, *, span: tuple[int, int] | None = None,
           memo: str = "") -> str:
    """Settle a disagreement into the consensus coder's codings: ``choice`` is
    a coder's name (take their ranges), ``"all"`` (the union of everyone's),
    ``"neither"``, or ``"adjusted"`` with ``span`` (a range the researcher
    chose). The decision and ``memo`` are kept as a memo on the document.
    One undoable action; returns a summary.

    Example: ``settle(project, disagreements(project)[0], "anna", memo="anna's reading")``.
    """
    from fieldnotes.ids import new_guid, now

    ranges, decision = _decide(item, choice, span)
    consensus = consensus_coder(project)
    doc_id = project.document_id(item.document)
    code_id = project.codebook.code_id(item.code)
    # The codings and the memo are written with the coding queries, not
    # project.coding.apply_coding or project.memos.add: each of those is an
    # undoable action of its own, and a settlement must undo as one.
    with project.history.action("team.settle", f"{item.title}: {decision}") as changes:
        coder_id = project.coders.coder_id(consensus, changes)
        stamp = now()
        added = [new_id for start, end in ranges if (new_id := coding_queries.insert_coding(
            project.conn, new_guid(), doc_id, code_id, start, end, coder_id, stamp)) is not None]
        changes.inserted("codings", added)
        memo_id = coding_queries.insert_memo(
            project.conn, new_guid(), "document", doc_id, f"{item.title}: {decision}", memo.strip() or decision,
            project.coders.coder_id(None, changes), stamp)
        changes.inserted("memos", [memo_id])
    return f"{item.title}: {decision}"


def _decide(item: Disagreement, choice: str, span: tuple[int, int] | None) -> tuple[list[tuple[int, int]], str]:
    """The consensus ranges ``choice`` stands for, and the decision in words."""
    from fieldnotes.analysis.agreement import merge

    coders = [name for name, _ in item.ranges]
    if choice in coders:
        return list(item.ranges_of(choice)), f"took {choice}'s coding"
    if choice == "all":
        return merge([r for _, rs in item.ranges for r in rs]), "took every coder's coding"
    if choice == "neither":
        return [], "coded neither"
    if choice == "adjusted":
        if span is None or not (span[0] < span[1]):
            raise FieldnotesError("An adjusted coding needs a start and an end, start before end.")
        return [span], f"adjusted to {span[0]}-{span[1]}"
    raise FieldnotesError(f"Settle with one of: {', '.join(coders)}, all, neither or adjusted.")
