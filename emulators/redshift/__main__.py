"""`python -m emulators.redshift`: the same as the `redshift-emulator` command."""

import sys

from emulators.redshift.cli import main

sys.exit(main())
