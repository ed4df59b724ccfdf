"""User configuration: a TOML file in the platform's config folder.

``$XDG_CONFIG_HOME/fieldnotes/config.toml`` on Linux (``FIELDNOTES_CONFIG``
names another file). Keys: ``coder`` (your name on codings), ``spacy_model``.
Environment variables override the file; command-line options override both.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from fieldnotes.errors import FieldnotesError


def config_path() -> Path:
    """The one place that knows where the config file is."""
    explicit = os.environ.get("FIELDNOTES_CONFIG")
    if explicit:
        return Path(explicit)
    from platformdirs import user_config_path

    return user_config_path("fieldnotes", appauthor=False) / "config.toml"


def load_config() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FieldnotesError(f"The config file {path} is not valid TOML ({exc}); fix or delete it.") from None


def coder_name(explicit: str | None = None) -> str:
    """Who is coding: ``--coder``, else ``FIELDNOTES_CODER``, else ``coder`` in
    the config file, else the login name."""
    if explicit and explicit.strip():
        return explicit.strip()
    env = os.environ.get("FIELDNOTES_CODER", "").strip()
    if env:
        return env
    configured = str(load_config().get("coder", "")).strip()
    if configured:
        return configured
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"
