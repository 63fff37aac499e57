"""`python -m lab`: the same command line as the `lab` console script."""

import sys

from lab.cli import main

sys.exit(main())
