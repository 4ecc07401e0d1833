import sys

from pipeline.fuzz.run import main

sys.exit(main())
