"""Settings for servers and job clusters started by a test: the normal settings, with every Redis key
(rate limits, cache, job queue) under the test's own prefix, so tests never meet each other's keys."""

import os

from config.settings import *  # noqa: F403
from config.settings import CACHES, DEBUG, Q_CLUSTER, STORAGES

API_RATE_LIMIT_REDIS_PREFIX = os.environ.get("API_RATE_LIMIT_REDIS_PREFIX", "breesy:rl:")
Q_CLUSTER = {**Q_CLUSTER, "name": os.environ.get("TEST_Q_NAME", Q_CLUSTER["name"])}
CACHES = {**CACHES, "default": {**CACHES["default"], "KEY_PREFIX": os.environ.get("TEST_CACHE_PREFIX", "")}}

if not DEBUG:
    # The production profile without `collectstatic` (which `make serve` runs): pages find their
    # static files where they are, through whitenoise's finders.
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
