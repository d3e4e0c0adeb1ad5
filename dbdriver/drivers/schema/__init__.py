"""
C{sync_schema}: the plan (data first, then run or shown as a dry run),
the sync itself and the backups it takes.
"""
