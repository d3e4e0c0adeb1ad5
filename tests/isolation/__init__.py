"""
Isolation specs: every interleaving of 2-3 sessions' steps against the real
driver process on each backend (see runner.py and docs/isolation.md).
"""
