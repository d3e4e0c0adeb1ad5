"""
The client: L{connect} to a driver process and call its methods through a
L{DriverClient} (or a L{Transaction}), with cursor iteration.
"""

from dbdriver.client import api, params, protocol

# Each module lists its names once, in its own __all__.
from dbdriver.client.api import *  # noqa: F403
from dbdriver.client.params import *  # noqa: F403
from dbdriver.client.protocol import *  # noqa: F403

# Connecting and calling the driver's methods, the types of the methods'
# params and options, and the connection underneath.
__all__ = api.__all__ + params.__all__ + protocol.__all__
