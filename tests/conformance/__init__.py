"""
The cross-backend contract: one suite, run through the real driver and the
real client on SQLite, PostgreSQL and MariaDB/MySQL (see conftest.py).
"""
