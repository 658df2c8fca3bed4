"""``python -m evaluation.cli``: the ``evaluation`` command."""

import sys

from evaluation.cli import main

if __name__ == "__main__":
    sys.exit(main())
