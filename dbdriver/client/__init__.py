"""
The client: L{connect} to a driver process and call its methods through a
L{DriverClient} (or a L{Transaction}), with cursor iteration.
"""

from dbdriver.client.api import DriverClient, Transaction, connect, connect_endpoint
from dbdriver.client.params import (
    ConflictClause,
    Operation,
    OrderItem,
    Params,
    RowData,
    Where,
)
from dbdriver.client.protocol import (
    DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    DriverClientFactory,
    DriverClientProtocol,
)

# Connecting.
__all__ = ["DEFAULT_CLIENT_MAX_MESSAGE_SIZE", "connect", "connect_endpoint"]
# Calling the driver's methods.
__all__ += ["DriverClient", "Transaction"]
# The connection underneath.
__all__ += ["DriverClientFactory", "DriverClientProtocol"]
# The types of the methods' params.
__all__ += ["ConflictClause", "Operation", "OrderItem", "Params", "RowData", "Where"]
