"""`python -m config.production`: may the production profile (`make serve`) start with this environment?

Prints one line for each variable that is missing or wrong and exits 1, else exits 0 quietly. Standard
library only, so it answers before anything is installed. (config/settings.py checks the same values
again when the app starts; this is the early, readable form of that refusal.) With `--settings`, run
once the packages are in, it also loads the settings and says in one line what they refuse (a number
that is not one, a proxy that is not an address...) instead of a traceback.
"""

from __future__ import annotations

import base64
import binascii
import os
import sys

FERNET_HINT = "python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"
SECRET_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


def fernet_key_valid(key: str) -> bool:
    """Whether `key` is a Fernet key: url-safe base64 of 32 bytes."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, binascii.Error):
        return False


def _false(value: str) -> bool:
    return value.strip().lower() in {"0", "false", "no", "off"}


def problems(env: dict[str, str]) -> list[str]:
    """One sentence per problem, each naming its variable first."""
    found = []
    key = env.get("SECRET_KEY", "")
    if not key:
        found.append(f"SECRET_KEY is not set: 50+ random characters, e.g. {SECRET_HINT}")
    elif len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure"):
        found.append(f"SECRET_KEY is too weak: 50+ random characters, e.g. {SECRET_HINT}")
    keys = [k.strip() for k in env.get("FIELD_ENCRYPTION_KEYS", "").split(",") if k.strip()]
    if not keys:
        found.append(f"FIELD_ENCRYPTION_KEYS is not set: Fernet keys, newest first, e.g. {FERNET_HINT}")
    for number, key in enumerate(keys, 1):
        if not fernet_key_valid(key):  # never echo the key itself
            found.append(f"FIELD_ENCRYPTION_KEYS: key {number} is not a Fernet key, e.g. {FERNET_HINT}")
    if not env.get("ALLOWED_HOSTS"):
        found.append("ALLOWED_HOSTS is not set: the host names this app answers to, e.g. desk.example.com")
    site = env.get("SITE_URL", "")
    if not site:
        found.append("SITE_URL is not set: the public https:// address of the app, e.g. https://desk.example.com")
    elif not site.startswith("https://") and not _false(env.get("SECURE_SSL_REDIRECT", "")):
        found.append("SITE_URL must start with https:// (or set SECURE_SSL_REDIRECT=false for a run without TLS)")
    database = env.get("DATABASE_URL", "")
    if not database:
        found.append("DATABASE_URL is not set: postgres://user:password@host:5432/name")
    elif not database.startswith(("postgres://", "postgresql://")):
        found.append("DATABASE_URL must be a postgres:// URL: SQLite is one machine's file, for `make run`")
    redis = env.get("REDIS_URL", "")
    if not redis:
        found.append("REDIS_URL is not set: redis://host:6379/0, for the job queue, rate limits and cache")
    elif not redis.startswith(("redis://", "rediss://", "unix://")):
        found.append("REDIS_URL must be a redis://, rediss:// or unix:// URL, e.g. redis://host:6379/0")
    if env.get("DEBUG") and not _false(env["DEBUG"]):
        found.append("DEBUG must be false (or unset) for the production profile")
    return found


def settings_problems() -> list[str]:
    """What the app's settings refuse when loaded with this environment (they stop at the first)."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        django.setup()
    except ImproperlyConfigured as error:
        return [str(error)]
    return []


def main() -> int:
    found = problems(dict(os.environ))
    if not found and "--settings" in sys.argv[1:]:
        found = settings_problems()
    for line in found:
        print(f"make serve: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
