"""Keeping a project safe at rest: what the command line and the workspace
call for passphrases, encryption and private files (the storage details stay
in :mod:`fieldnotes.store`).

>>> from fieldnotes.security import Passphrase, encrypt_project
>>> encrypt_project(Path("study.fnp"), Passphrase("a long passphrase"))   # doctest: +SKIP
"""

from __future__ import annotations

from fieldnotes.store.cipher import (  # noqa: F401 - the public names of this module
    ENV_PASSPHRASE,
    Passphrase,
    forget,
    known,
    looks_encrypted,
    passphrase_from_environment,
    passphrase_from_file,
    remember,
)
from fieldnotes.store.cipher import decrypt_file as decrypt_project  # noqa: F401
from fieldnotes.store.cipher import encrypt_file as encrypt_project  # noqa: F401
from fieldnotes.store.files import secure as secure_project  # noqa: F401
