"""Township duty lists (乡镇履职事项清单): raw files → clean, typed Parquet tables.

Stages, one subpackage each, data flowing one way:
extract (raw files → page records) → clean (duty-list items with paragraphs)
→ normalize (published tables: items, townships, departments, steps, codebook).
pipeline.common is shared by all stages; pipeline.analysis serves the notebooks.
"""

__version__ = "1.0.0"
