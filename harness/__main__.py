"""Run the command line as `python3 -m harness`."""

import sys

from harness.cli import main

sys.exit(main())
