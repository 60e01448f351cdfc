"""Results into words, tables, charts and files: views/ (what a report holds) and
formats/ (text, Markdown, CSV, JSON, HTML, XLSX, LaTeX, charts)."""
