"""Team coding: a copy of the project for each coder, a merge that brings
their work back without losing any of it, and the disagreements settled into
a consensus coding.

In a secure environment with no shared server, coders work on their own copy
of the project file and hand it back. One job per module:

* :mod:`~fieldnotes.team.model`: the records (``CopyReport``,
  ``MergeReport``, ``Disagreement``);
* :mod:`~fieldnotes.team.copies`: making a coder's copy and checking one that
  comes back (``make_copy``, ``check_copy``, ``origin``);
* :mod:`~fieldnotes.team.merge`: merging copies back by GUID, as one undoable
  action (``merge_copies``);
* :mod:`~fieldnotes.team.consensus`: where coders differ and settling it
  (``disagreements``, ``settle``, ``consensus_coder``).

The SQL is in :mod:`fieldnotes.store.queries.team`. The names below are the
public API; import them from here.
"""

from fieldnotes.team.consensus import consensus_coder, disagreements, settle
from fieldnotes.team.copies import check_copy, make_copy, project_guid
from fieldnotes.team.merge import merge_copies
from fieldnotes.team.model import CopyReport, Disagreement, MergeReport

__all__ = [
    "CopyReport", "Disagreement", "MergeReport", "check_copy", "consensus_coder", "disagreements", "make_copy",
    "merge_copies", "project_guid", "settle",
]
