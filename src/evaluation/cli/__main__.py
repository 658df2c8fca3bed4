"""``python -m evaluation.cli``: the ``evaluation`` command."""

import sys

from evaluation.cli import main

sys.exit(main())
