"""Instances for benchmarks and tests (the Li & Lim reader, small synthetic problems). The
service never imports this package."""
