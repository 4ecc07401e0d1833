"""Township duty lists (乡镇履职事项清单): PDF → clean, typed Parquet tables.

Stages, one module each, data flowing one way:
extract (PDF → cells with line geometry) → clean (logical items with paragraphs)
→ normalize (typed item tables) → model (departments, steps, codebook).
"""

__version__ = "1.0.0"
