"""Pseudonymisation: find identifying mentions and group them into entities.

Detection (:mod:`.detect`) combines spaCy NER, rules (titles with names,
postcodes, phone, NHS and National Insurance numbers, emails, references,
dates, street addresses, named schools and surgeries), speaker labels, the
researcher's register (:mod:`.register`) and a first-name gazetteer
(:mod:`.names`). Clustering (:mod:`.cluster`) groups the mentions into one
entity per real person, place or organisation and propagates every surface
form of an entity over the whole project.

Nothing here imports spaCy at import time: :func:`load_pipeline` does, lazily.
"""

from fieldnotes.pseudonymise.categories import CATEGORIES, SPACY_LABELS
from fieldnotes.pseudonymise.cluster import EntityDraft, cluster
from fieldnotes.pseudonymise.detect import (
    Candidate,
    detect,
    detect_ner,
    detect_rules,
    load_pipeline,
    resolve_pipeline_name,
)
from fieldnotes.pseudonymise.names import TITLES, is_first_name, nickname_variants
from fieldnotes.pseudonymise.register import RegisterEntry, read_register

__all__ = [
    "CATEGORIES",
    "SPACY_LABELS",
    "TITLES",
    "Candidate",
    "EntityDraft",
    "RegisterEntry",
    "cluster",
    "detect",
    "detect_ner",
    "detect_rules",
    "is_first_name",
    "load_pipeline",
    "nickname_variants",
    "read_register",
    "resolve_pipeline_name",
]
