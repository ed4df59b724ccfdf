"""Writing results out: tables (CSV, XLSX, Markdown, HTML, heatmaps, the terminal) and quotes for reports."""
