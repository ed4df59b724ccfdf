"""Files that hold identifiable data are private to their owner.

A project file holds the transcripts and the pseudonymisation key; so do its
``-wal``/``-shm`` siblings, its upgrade backups and the temporaries it is
built in. On a shared analysis server every other account could read them if
they were created with the usual umask (``-rw-r--r--``). Everything here is
created owner-only (files 0600, folders 0700) whatever the umask; SQLite gives
the ``-wal`` and ``-shm`` files the database file's own mode.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders created inside the block are owner-only.

    The umask is per process; while the block runs, files other threads
    create are private too, which errs on the safe side."""
    if os.name != "posix":
        yield
        return
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_private(path: str | Path) -> None:
    """chmod an existing file to 0600 (a folder to 0700)."""
    path = Path(path)
    if os.name == "posix" and path.exists():
        os.chmod(path, PRIVATE_FOLDER if path.is_dir() else PRIVATE_FILE)


def make_shareable(path: str | Path) -> None:
    """Give a file made private while it was built the permissions a new file
    normally gets (0666 less the umask): for pseudonymised outputs."""
    if os.name != "posix":
        return
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def private_folder(path: str | Path) -> Path:
    """Create ``path`` (and missing parents) owner-only; an existing folder is left as it is."""
    path = Path(path)
    if not path.exists():
        with private_umask():
            path.mkdir(parents=True, exist_ok=True)
    return path


def shared_with_others(path: str | Path) -> bool:
    """True when users other than the owner may read the file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return os.name == "posix" and bool(mode & (stat.S_IRGRP | stat.S_IROTH | stat.S_IWGRP | stat.S_IWOTH))


def access(path: str | Path) -> str:
    """The file's permissions as ``ls`` shows them, and who can read it."""
    mode = os.stat(path).st_mode
    text = stat.filemode(mode)
    return f"{text} ({'readable by other users' if shared_with_others(path) else 'owner only'})"


def siblings(path: str | Path) -> list[Path]:
    """The project file and every file beside it that holds its data: the
    ``-wal``/``-shm`` files, upgrade backups (``NAME.bak-vN``) and leftover
    temporaries (``NAME.partial``, ``NAME.building``)."""
    path = Path(path)
    found = [path]
    for candidate in sorted(path.parent.glob(path.name + "*")):
        rest = candidate.name[len(path.name):]
        if candidate != path and (rest in {"-wal", "-shm", "-journal"} or rest.startswith((".bak-v", ".partial",
                                                                                            ".building"))):
            found.append(candidate)
    return found


def secure(path: str | Path) -> list[Path]:
    """Make the project and its sibling files owner-only; returns those changed."""
    changed = []
    for candidate in siblings(path):
        if candidate.is_file() and shared_with_others(candidate):
            make_private(candidate)
            changed.append(candidate)
    return changed
