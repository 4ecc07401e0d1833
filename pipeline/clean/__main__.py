"""python -m pipeline.clean: run the stage from the command line."""

import sys

from pipeline.clean.stage import main

sys.exit(main())
