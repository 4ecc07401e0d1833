"""python -m pipeline.orchestrate: run the build (extract → clean → normalize → publish) from the command line."""

import sys

from pipeline.orchestrate.stage import main

sys.exit(main())
