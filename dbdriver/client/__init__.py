"""
The client: L{connect} to a driver process and call its methods through a
L{DriverClient} (or a L{Transaction}), with cursor iteration.
"""
