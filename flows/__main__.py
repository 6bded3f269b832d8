"""Entry point of ``python -m flows``."""

from __future__ import annotations

import sys

from flows.cli import main

sys.exit(main())
