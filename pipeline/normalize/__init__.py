"""Stage 3, normalize: item rows → the published tables (typed Parquet, codebook, datapackage).

Modules: stage (the run), departments (canonical departments, levels, kinds), divisions
(administrative division codes), steps (duty paragraphs → steps), duties (the same duty across
townships: duty_id, duty_review), similarity and vocabulary (the matcher's n-gram weights),
revisions (two files of one township's list as versions: the changes table), contracts (data
checks), schema (schema.toml → Arrow schemas and docs), score_pairs (the matcher scored on
labelled pairs, a command). May import pipeline.common only.
"""

from pipeline.normalize.stage import run, run_command

__all__ = ["run", "run_command"]
