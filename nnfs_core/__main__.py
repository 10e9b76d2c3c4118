import sys

from nnfs_core.cli import main

sys.exit(main())
