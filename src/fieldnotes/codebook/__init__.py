"""The codebook: codes as the project API hands them out (``model``), the
tree rules (``tree``) and the service behind ``project.codebook``
(``service``). Codebook files (YAML, REFI-QDA .qdc) are read and written in
:mod:`fieldnotes.exchange.codebooks`."""
