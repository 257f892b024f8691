"""``python -m qa.cli``: the ``citeqa`` command without the installed script."""

import sys

from qa.cli import main

sys.exit(main())
