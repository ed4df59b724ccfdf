"""REFI-QDA exchange in both directions: codebooks (``.qdc``, :mod:`.qdc`)
and whole projects (``.qdpx``, :mod:`.qdpx`), read from and written for
NVivo, ATLAS.ti, MAXQDA, QualCoder and the other tools of the standard."""
