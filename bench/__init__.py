"""Benchmarks (issue 7): `python -m bench --units N --db sqlite|postgres --json FILE`
measures the bill run, the dunning run, the reports, two pages and the notices PDF on a
demo data set, each against its floor (the same rows by hand-written SQL); docs/benchmarks.md."""
