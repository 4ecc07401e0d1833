import sys

from pipeline.publish.stage import main

sys.exit(main())
