"""``python -m statuskit``: the same as the ``statuskit`` command."""

import sys

from statuskit.cli import main

sys.exit(main())
