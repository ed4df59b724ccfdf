"""fieldnotes: qualitative fieldwork coding in the terminal.

Importing this package must stay cheap: it must not import textual or spacy.
"""

__version__ = "0.1.0"
