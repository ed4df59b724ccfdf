"""The terminal workspace (Textual). Holds no SQL and no domain rules: every
screen and widget calls the project API."""
