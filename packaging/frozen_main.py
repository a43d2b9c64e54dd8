"""The frozen build's entry point: the same command line as ``python -m traywatch``."""

import sys

from traywatch.cli import main

sys.exit(main())
