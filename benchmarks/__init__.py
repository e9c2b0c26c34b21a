"""Benchmarks of the eg4 integration (run with ``scripts/bench``, not part of ``scripts/test``)."""
