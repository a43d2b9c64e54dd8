import sys

from traywatch.cli import main

sys.exit(main())
