"""CSV imports ("Layout de Importação"): upload (files.py), column mapping
and saved mappings (jobs.py), reading a row as the use cases' input with
pt-BR formats (cells.py, and one ImportKind per entity in contact_rows.py,
company_rows.py and deal_rows.py, listed in kinds.py), the file's own
duplicates in bounded memory (file_keys.py), and the batched dry run and
import (runner.py)."""
