"""Stage 3, normalize: item rows → the published tables (typed Parquet, codebook, datapackage).

Modules: stage (the run), departments (canonical departments, levels, kinds), steps (duty
paragraphs → steps), contracts (data checks), schema (schema.toml → Arrow schemas and docs).
May import pipeline.common only.
"""

from pipeline.normalize.stage import run, run_command

__all__ = ["run", "run_command"]
