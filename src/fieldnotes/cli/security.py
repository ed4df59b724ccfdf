"""Keeping data safe at rest: ``secure``, ``encrypt`` and ``decrypt``."""

from __future__ import annotations

from pathlib import Path

import click

from fieldnotes.cli import cli, console, escape, unlock
from fieldnotes.errors import FieldnotesError

PROJECT = click.argument("project", type=click.Path(exists=True, dir_okay=False))


@cli.command()
@PROJECT
def secure(project: str) -> None:
    """Make the project and the files beside it that hold its data (-wal,
    -shm, upgrade backups, leftovers) readable by you only (0600).

    \b
    Example:
      fieldnotes secure study.fnp
    """
    from fieldnotes.security import secure_project as make_secure

    changed = make_secure(Path(project))
    if changed:
        console().print("Now readable by you only: " + ", ".join(escape(p.name) for p in changed))
    else:
        console().print(f"{escape(project)} and its files were already readable by you only.")


@cli.command()
@PROJECT
def encrypt(project: str) -> None:
    """Encrypt a project in place with a passphrase (SQLCipher). The
    encrypted file is written beside it and replaces it only when complete.

    The passphrase is asked for twice (or taken from FIELDNOTES_PASSPHRASE or
    --passphrase-file); keep it safe: without it the project cannot be opened.
    Close the workspace on this project first.

    \b
    Example:
      fieldnotes encrypt study.fnp
      FIELDNOTES_PASSPHRASE=... fieldnotes info study.fnp
    """
    from fieldnotes.security import encrypt_project as encrypt_file, looks_encrypted
    from fieldnotes.project import Project

    path = Path(project)
    if looks_encrypted(path):
        raise FieldnotesError(f"{path.name} is already encrypted.")
    Project.open(path).close()   # a fieldnotes project, upgraded to this version
    passphrase = unlock(path, new=True)
    encrypt_file(path, passphrase)
    console().print(f"Encrypted {escape(project)}. Backups and copies made before stay as they were: "
                    "delete or encrypt them too.")


@cli.command()
@PROJECT
def decrypt(project: str) -> None:
    """Turn an encrypted project back into a plain SQLite file (readable by
    you only), written beside it and replacing it only when complete.

    \b
    Example:
      fieldnotes decrypt study.fnp
    """
    from fieldnotes.security import decrypt_project as decrypt_file, looks_encrypted

    path = Path(project)
    if not looks_encrypted(path):
        raise FieldnotesError(f"{path.name} is not encrypted.")
    passphrase = unlock(path)
    decrypt_file(path, passphrase)
    console().print(f"Decrypted {escape(project)}: it is a plain SQLite file again, readable by you only.")
