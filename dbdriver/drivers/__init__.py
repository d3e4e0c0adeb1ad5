"""
Drivers: a database behind L{adbapi.ConnectionPool}s, asked for table-level
operations.  L{base} composes the backend-neutral engine with one backend
(C{sqlite}, C{postgresql}, C{mysql}); C{dbdriver.server.driver_factory} picks it.
"""
