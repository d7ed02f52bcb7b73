"""CSV imports ("Layout de Importação"): upload (files.py), column mapping
and saved mappings (jobs.py), reading a row as the use cases' input with
pt-BR formats (rows.py), and the batched dry run and import (runner.py)."""
