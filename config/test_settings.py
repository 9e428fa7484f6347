"""Settings for the test suite: the real database from DATABASE_URL (SQLite if unset), jobs run inline."""

import tempfile
from pathlib import Path

from .settings import *  # noqa: F403
from .settings import Q_CLUSTER

# django-q2 reads `sync` at import time, so it has to be set here rather than inside a test.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# A tests-only app whose model exercises the encrypted field on the real database.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.fieldapp"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test process gets its own media folder, so parallel runs never share recordings.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="breesy-test-media-"))
SITE_URL = "http://testserver"

# On SQLite, test against a file (one per test process) rather than the shared-cache in-memory
# database: only a file honours WAL, IMMEDIATE transactions and the busy timeout, which is what
# lets concurrent writers queue instead of failing with "database table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(MEDIA_ROOT.parent / f"{MEDIA_ROOT.name}.sqlite3")}  # noqa: F405

# Tests run with DEBUG off and no collectstatic: let whitenoise find files through the finders.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The job cluster's heartbeat (read by /healthz) in this test process's own folder, so a cluster that a
# developer runs from the same checkout is never mistaken for one a test started.
if "jobs" in CACHES:  # noqa: F405
    CACHES = {**CACHES, "jobs": {**CACHES["jobs"], "LOCATION": MEDIA_ROOT.parent / f"{MEDIA_ROOT.name}-jobs"}}  # noqa: F405

# Staff sign-in throttling (django-axes) is off for tests that only need someone signed in
# (`Client.login` gives axes no request); the sign-in tests turn it on (tests/franchises/test_signin.py).
AXES_ENABLED = False
