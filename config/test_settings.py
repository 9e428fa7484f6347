"""Settings for the test suite: the real database from DATABASE_URL (SQLite if unset), jobs run inline."""

from .settings import *  # noqa: F403
from .settings import Q_CLUSTER, VAR_DIR

# django-q2 reads `sync` at import time, so it has to be set here rather than inside a test.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
SITE_URL = "http://testserver"
