"""The query layer: every SQL statement the project API runs, by noun.

One module per part of the API (``codebook``, ``coding``, ``pseudonyms``,
``documents``). Each function takes the open ``sqlite3.Connection`` first and
returns plain rows or values; the services in the domain layer turn them into
dataclasses and apply the rules (who may do what, what counts as a match).
Nothing here opens a transaction: the caller's ``atomic()`` or undoable action
decides where one starts and ends.
"""
