"""Settings for a gunicorn started by a test: the normal settings plus a per-test Redis key prefix."""

import os

from config.settings import *  # noqa: F403

API_RATE_LIMIT_REDIS_PREFIX = os.environ.get("API_RATE_LIMIT_REDIS_PREFIX", "breesy:rl:")
