"""Entry point of the frozen (PyInstaller) build: the ``parley`` command.

``--smoke-test`` runs :mod:`parley.client.smoke` instead, the headless check a
packaging job runs on the built folder before shipping it.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    if sys.argv[1:] == ["--smoke-test"]:
        from parley.client.smoke import main as smoke

        sys.exit(smoke())
    from parley.client.cli import main

    main()
