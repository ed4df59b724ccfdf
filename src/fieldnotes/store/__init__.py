"""Storage: the project file (SQLite), its schema and migrations.

sqlite-utils (which takes a noticeable moment to import) is only loaded when a
file is created or upgraded, or when code asks for ``Project.db``; everyday
commands run on a plain ``sqlite3`` connection.
"""

#: The number of migrations; ``PRAGMA user_version`` of an up-to-date project.
SCHEMA_VERSION = 6
