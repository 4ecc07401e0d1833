"""python -m pipeline.orchestrate: run the three stages from the command line."""

import sys

from pipeline.orchestrate.stage import main

sys.exit(main())
