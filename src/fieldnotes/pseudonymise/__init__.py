"""Pseudonymisation: find identifying mentions, group them into entities,
review them and apply replacements in every output.

Detection (:mod:`.detect`) combines spaCy NER, rules (titles with names,
postcodes, phone, NHS and National Insurance numbers, emails, references,
dates, street addresses, named schools and surgeries), speaker labels, the
researcher's register (:mod:`.register`) and a first-name gazetteer
(:mod:`.names`). Clustering (:mod:`.cluster`) groups the mentions into one
entity per real person, place or organisation and propagates every surface
form of an entity over the whole project; both find many surface forms at
once with :mod:`.forms`.

In a project (``project.pseudonyms``, :mod:`.service`): detection runs and
re-clustering (:mod:`.runs`), stable tags (:mod:`.tags`), replacements chosen
(:mod:`.replace`, :mod:`.surrogates`, :mod:`.dates`) and applied
(:mod:`.offsets`, :mod:`.view`), the residual-risk queue (:mod:`.residual`),
exports and safe copies (:mod:`.safe_copy`), the key (:mod:`.keylog`) and the
leak checker (:mod:`.leaks`).

Nothing here imports spaCy at import time (:func:`.detect.load_pipeline`
does, lazily), and the package itself imports nothing: opening a project
(which imports :mod:`.service`) does not pay for the detectors. Import names
from their modules.
"""
