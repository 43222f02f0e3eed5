"""`make bench`: what users and the bill feel, measured as ratios within one run.

Run with `python -m bench` (see bench/README.md). Each stage is a module with a
`run(ctx) -> Section`; `bench.__main__` runs them, prints the table, writes
bench/results.json and exits non-zero when a bar is missed.
"""
