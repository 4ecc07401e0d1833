"""Stage 2, clean: page records → one row per duty-list item, text right to the character.

Modules: stage (the run, cache and manifest; one document's tables → items), stitch (rows
split by page breaks, merged cells, continued items), paragraphs (cell lines → paragraphs),
wording (header synonyms, titles, page furniture, township identity). May import
pipeline.common only.
"""

from pipeline.clean.stage import run, version

__all__ = ["run", "version"]
