"""Text from files made safe to show in a terminal.

A transcript, a file name or a codebook can hold control characters: an
escape sequence that recolours the screen, retitles the window, hides text
(conceal) or moves the cursor, or a bidirectional override that shows words
in another order than they are stored. Printed raw, the file, not fieldnotes,
decides what the researcher sees. :func:`printable` shows each such character
as a visible escape (``\\x1b``, ``\\u202e``) instead; line breaks and tabs stay.

>>> printable("\\x1b[31mred.txt")
'\\\\x1b[31mred.txt'
"""

from __future__ import annotations

import re

# C0 controls except tab and line feed, DEL, the C1 controls (U+0080-U+009F,
# which some terminals obey as escape sequences), the bidirectional embedding,
# override and isolate marks, and the line/paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character shown as a visible escape, so it
    cannot drive the terminal. Windows line ends (CR LF) become plain line
    breaks; any other carriage return is shown as ``\\x0d``."""
    text = str(text)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _CONTROL.sub(_visible, text)


def has_control(text: str) -> bool:
    """Whether :func:`printable` would change ``text`` (beyond CR LF)."""
    return _CONTROL.search(str(text).replace("\r\n", "\n")) is not None


def _picture(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␛ for ESC
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def visible_controls(text: str) -> str:
    """``text`` with each control character replaced by ONE visible symbol
    (``␛`` for ESC, ``�`` for C1 and bidirectional controls): the same length,
    so character offsets (codings, selections) still point at the same places.
    For the workspace, which shows the text itself rather than a printout."""
    return _CONTROL.sub(_picture, str(text))
