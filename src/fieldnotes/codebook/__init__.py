"""Codebook files: YAML and REFI-QDA .qdc."""
