"""The build: the three stages in one process, as `make all` runs them (extract → clean → normalize).

The only folder that imports the stages; it adds no data of its own.
"""

from pipeline.orchestrate.stage import main

__all__ = ["main"]
