"""
The backend-neutral execution engine: jobs, batched reads and group-commit
writes on the pools, pinned connections, transactions across requests,
cursors.
"""
