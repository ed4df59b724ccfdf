"""Analysis: theme matrices, co-occurrence, framework matrices."""
