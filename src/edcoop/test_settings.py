"""Settings for the test suite: the product's own settings in test mode (see pyproject)."""

import os

os.environ.setdefault("EDCOOP_ENV", "test")

from edcoop.settings import *  # noqa: F403
