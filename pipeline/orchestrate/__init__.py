"""The build: the four stages in one process, as `make all` runs them (extract → clean → normalize →
publish), with the staging and publication of their output as one set.

The only folder that imports the stages; it adds no data of its own.
"""

from pipeline.orchestrate.stage import main

__all__ = ["main"]
