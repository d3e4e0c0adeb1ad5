"""
The driver process: the socket protocol, the server that queues requests
and feeds them to a driver, sessions (transactions and cursors), the runner
and the settings.
"""
