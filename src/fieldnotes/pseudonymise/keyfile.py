"""The pseudonymisation key, encrypted for the study's data manager with age
(the ``pyrage`` package), so that it can leave the secure environment only on
purpose and only for the people who may hold it."""

from __future__ import annotations

from collections.abc import Sequence

from fieldnotes.errors import FieldnotesError


def recipient(text: str):
    """An age recipient: an ``age1...`` X25519 key or an SSH public key."""
    import pyrage

    text = text.strip()
    try:
        if text.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(text)
        if text.startswith(("ssh-ed25519 ", "ssh-rsa ")):
            return pyrage.ssh.Recipient.from_str(text)
    except Exception:  # pyrage raises its own RecipientError
        pass
    raise FieldnotesError(
        f"'{text[:40]}' is not an age recipient: give an age1... public key (age-keygen prints one) "
        "or an ssh-ed25519 / ssh-rsa public key.")


def encrypt_for(data: bytes, recipients: Sequence[str]) -> bytes:
    """``data`` encrypted so that any one of ``recipients`` can decrypt it."""
    import pyrage

    return pyrage.encrypt(data, [recipient(r) for r in recipients])
