"""Benchmarks: each script prints a final ``key=value ...`` line (see docs/performance.md)."""
