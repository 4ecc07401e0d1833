"""python -m pipeline.normalize: run the stage from the command line."""

import sys

from pipeline.normalize.stage import main

sys.exit(main())
