"""Benchmarks: measured with ``frontdoor bench``, never asserted in timed tests."""
