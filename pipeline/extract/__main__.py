"""python -m pipeline.extract: run the stage from the command line."""

import sys

from pipeline.extract.stage import main

sys.exit(main())
