"""python -m pipeline.build: run the three stages from the command line."""

import sys

from pipeline.build.stage import main

sys.exit(main())
