"""`python -m bench.profile [PATH]`: pyinstrument profile of the subject serving PATH in-process.

Uses the data `make bench-quick` loaded (DATABASE_URL) and the production settings, like the bench.
Example: `python -m bench.profile "/data/calls?page_size=100" --requests 300`.
"""

from __future__ import annotations

import argparse
import os
import secrets

from bench import data, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="/data/calls?page_size=100")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--header", action="append", default=[], help="extra header, e.g. 'Range: bytes=0-9'")
    args = parser.parse_args()
    url = data.check_database_url(os.environ.get("DATABASE_URL", ""))
    data.ensure_database(url)
    run.setup_django(url, secret=secrets.token_urlsafe(48))
    ds = data.load(url, data.QUICK, run.MEDIA)
    tokens = run.issue_tokens(ds)

    from django.test import Client
    from pyinstrument import Profiler

    client = Client()
    extra = {"HTTP_AUTHORIZATION": f"Bearer {tokens['b']}"}
    for header in args.header:
        name, _, value = header.partition(":")
        extra["HTTP_" + name.strip().upper().replace("-", "_")] = value.strip()
    for _ in range(20):
        response = client.get(args.path, **extra)
    print(f"{args.path} → {response.status_code}")
    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(args.requests):
            response = client.get(args.path, **extra)
            if response.streaming:
                b"".join(response.streaming_content)
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
