"""
Requests: one typed class per method of PROTOCOL.md section 4, validated on
construction and shared by both ends, with the formats they carry (the table
schema, where clauses, binds).  Imports nothing from the client, the server
or the drivers.
"""

from dbdriver.requests import methods

# The names are listed once, in dbdriver.requests.methods.
from dbdriver.requests.methods import *  # noqa: F403

__all__ = methods.__all__
