"""Settings for the test suite: the product's own settings in test mode (see pyproject).

Fixed keys, so the suite writes nothing into var/ and runs the same everywhere; the tests of
key handling start their own processes with their own var/ folder.
"""

import os

os.environ.setdefault("EDCOOP_ENV", "test")
os.environ.setdefault("EDCOOP_SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstu")
os.environ.setdefault("EDCOOP_SEALING_KEY", "dGVzdC1vbmx5LXNlYWxpbmcta2V5LTMyLWJ5dGVzISE=")
os.environ.setdefault("EDCOOP_AUDIT_KEY", "test-only-audit-key-0123456789-abcdefghijk")

from edcoop.settings import *  # noqa: F403

# Browser and concurrency tests sign in and post from 127.0.0.1 many times, and their
# counts outlive each test (the cache table is not flushed with the models); the tests of
# the limits themselves set their own.
EDCOOP_RATE_PUBLIC_FORMS = EDCOOP_RATE_SIGN_IN = "10000/m"
EDCOOP_RATE_PASSWORD_RESET = "10000/m"  # noqa: S105 (a rate, not a password)
EDCOOP_RATE_API_ANONYMOUS = "10000/m"
