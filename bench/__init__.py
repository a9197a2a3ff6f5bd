"""Benchmarks: each prints figures and ratios against a bare baseline measured in the same run."""
