"""The Data Share API benchmark (`make bench`, `make bench-quick`); see BENCHMARKS.md. Not part of `make test`."""
