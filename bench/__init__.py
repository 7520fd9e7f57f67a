"""Benchmarks: speed and memory goals, reported as ratios against a baseline of the same run."""
