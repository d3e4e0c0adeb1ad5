"""
The client: L{connect} to a driver process and call its methods through a
L{DriverClient} (or a L{Transaction}), with cursor iteration.
"""

from dbdriver.client import api, params, protocol, reconnecting

# Each module lists its names once, in its own __all__.
from dbdriver.client.api import *  # noqa: F403
from dbdriver.client.params import *  # noqa: F403
from dbdriver.client.protocol import *  # noqa: F403
from dbdriver.client.reconnecting import *  # noqa: F403

# Connecting and calling the driver's methods, the types of the methods'
# params and options, the connection underneath, and the client that
# reconnects.
__all__ = api.__all__ + params.__all__ + protocol.__all__ + reconnecting.__all__
