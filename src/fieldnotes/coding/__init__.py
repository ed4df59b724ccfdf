"""Coding: the part of the project API about who codes, what is coded, and
the memos written along the way. One job per module:

* :mod:`~fieldnotes.coding.model`: the records (``Coder``, ``Coding``,
  ``Passage``, ``Memo``, ``Hit``);
* :mod:`~fieldnotes.coding.coders`: who is coding, and the one lookup of a
  coder by name (``project.coders``);
* :mod:`~fieldnotes.coding.locate`: where a passage is (quoted words, a
  range grown to sentences or turns);
* :mod:`~fieldnotes.coding.service`: applying, removing and listing codings
  (``project.coding``);
* :mod:`~fieldnotes.coding.autocode`: finding passages by keyword, regex,
  fuzzy phrase or speaker and coding them;
* :mod:`~fieldnotes.coding.retrieval`: a code's passages, attributed, as a
  report quotes them;
* :mod:`~fieldnotes.coding.memos`: memos on the project, documents, codes,
  codings and cases (``project.memos``).

The SQL is in :mod:`fieldnotes.store.queries.coding`.
"""
