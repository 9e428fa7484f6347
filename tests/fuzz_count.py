"""How many requests the fuzz tests sent in this run (issue 13 asks for 5,000 or more per CI pass):
tests/test_api_schema.py (schemathesis) and tests/test_fuzz.py count here, and the run's summary
prints the total (tests/conftest.py)."""

from collections import Counter

SENT: Counter[str] = Counter()
