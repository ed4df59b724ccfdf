"""Each entity's replacement in a project, stable once given.

:func:`fieldnotes.pseudonymise.replace.assign_replacements` chooses
replacements from scratch; here the project remembers them. Tags ("[Person
7]"), role tags ("[Social worker 3]") and surrogate names are stored on the
entity (``entities.tag`` / ``role_tag`` / ``surrogate``) the first time one is
given, and the last number of every kind in ``pseudonym_numbers``, so a merge,
a split or a new detection elsewhere never renumbers anyone and the number of
a merged or deleted entity is never handed out again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence

from fieldnotes.store.queries import pseudonyms as q


def replacements(project) -> dict[int, str]:
    """The replacement of every entity of ``project`` (manual ones win), by
    entity id, giving stable tags (and surrogates or role tags, by the
    project's strategy) to entities that have none yet."""
    from fieldnotes.pseudonymise.replace import EntityInfo, assign_replacements

    conn = project.conn
    rows = q.replacement_rows(conn)
    infos = [EntityInfo(r[0], r[1], r[2], r[3] if r[4] in {"manual", "register"} else None, r[5]) for r in rows]
    tags = _stable_tags(conn, rows, infos)
    strategy = project.setting("pseudo_strategy", "tags") or "tags"
    surrogates = {r[0]: r[7] for r in rows if r[7]}
    role_tags = {r[0]: r[8] for r in rows if r[8]}
    if strategy == "roles":
        role_tags.update(_new_role_tags(conn, infos, role_tags, tags))
    result = assign_replacements(infos, strategy=strategy, seed=project.setting("pseudo_seed", "") or "",
                                 date_mode=project.setting("pseudo_date_mode", "shift") or "shift",
                                 tags=tags, surrogates=surrogates, role_tags=role_tags)
    if strategy == "surrogates":
        fresh = [(result[i.id], i.id) for i in infos if i.category == "PERSON" and i.id not in surrogates
                 and not i.manual and result.get(i.id) and result[i.id] != tags.get(i.id)]
        _store_quietly(conn, "surrogate", fresh)
    return result


def _new_role_tags(conn: sqlite3.Connection, infos, role_tags: dict[int, str], tags: dict[int, str]) -> dict[int, str]:
    """Role tags ("[Social worker 3]") for entities with a register role
    and none yet: the next number of that role never used."""
    from fieldnotes.pseudonymise.replace import role_name

    missing = [i for i in infos if i.role and i.role.strip() and i.id not in role_tags]
    if not missing:
        return {}
    taken = ({(i.manual or "").strip().casefold() for i in infos if i.manual}
             | {t.casefold() for t in tags.values()} | {t.casefold() for t in role_tags.values()})
    return _number(conn, missing, lambda info: "role:" + role_name(info.role), taken, "role_tag")


def _number(conn: sqlite3.Connection, missing, name_of: Callable, taken: set[str], column: str) -> dict[int, str]:
    """Give each entity of ``missing`` the tag "[NAME n]" with the next
    number of its kind (``name_of(entity)``; a "role:" prefix keeps role
    numbers apart) never used in this project and not ``taken``, store it
    in ``entities.<column>`` and remember the last number per kind."""
    last = q.last_numbers(conn)
    names: dict[str, str] = {}
    fresh: dict[int, str] = {}
    for info in missing:
        kind = name_of(info)
        key = kind.casefold()
        names[key] = kind
        n = last.get(key, 0)
        while True:
            n += 1
            tag = f"[{kind.removeprefix('role:')} {n}]"
            if tag.casefold() not in taken:
                break
        last[key] = n
        taken.add(tag.casefold())
        fresh[info.id] = tag
    _store_quietly(conn, column, [(v, k) for k, v in fresh.items()], [(names[k], last[k]) for k in names])
    return fresh


def _stable_tags(conn: sqlite3.Connection, rows: Sequence[tuple], infos) -> dict[int, str]:
    """Every entity's tag ("[Person 7]"), giving one to each entity that
    has none yet: the next number of its kind never used in this project
    (numbers of merged or deleted entities are not handed out again)."""
    from fieldnotes.pseudonymise.replace import tag_name

    tags = {r[0]: r[6] for r in rows if r[6]}
    missing = [info for info, r in zip(infos, rows) if not r[6]]
    if not missing:
        return tags
    taken = {(i.manual or "").strip().casefold() for i in infos if i.manual} | {t.casefold() for t in tags.values()}
    tags.update(_number(conn, missing, tag_name, taken, "tag"))
    return tags


def _store_quietly(conn: sqlite3.Connection, column: str, values: list[tuple[str, int]],
                   numbers: Iterable[tuple[str, int]] | None = None) -> None:
    # Assigning a pseudonym is a write made while reading; a project
    # opened read-only still gets the same values, computed afresh.
    from fieldnotes.store.db import atomic

    if not values:
        return
    try:
        with atomic(conn):
            q.store_pseudonyms(conn, column, values)
            if numbers is not None:
                q.raise_last_numbers(conn, numbers)
    except sqlite3.OperationalError:
        pass
