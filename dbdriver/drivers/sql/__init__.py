"""
SQL shared by every backend: the dialect, bound parameters, the table
operations as they run on a database thread, catalog records.
"""
