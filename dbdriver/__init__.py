"""
dbdriver: a Twisted database driver process and its client.

The server runs as C{python -m dbdriver} or C{twistd dbdriver} (see
L{dbdriver.tap}), or as the supervised child of an application
(L{DriverProcess}); applications talk to it through L{connect}, which gives
a L{DriverClient}, or a L{ReconnectingClient} that follows restarts.  Errors arrive
as the L{DriverError} subclass of their protocol code.
"""

from dbdriver import exceptions
from dbdriver._version import __version__
from dbdriver.client import (
    DriverClient,
    DriverClientFactory,
    DriverClientProtocol,
    ReconnectingClient,
    Transaction,
    connect,
    connect_endpoint,
)

# The exceptions are listed once, in dbdriver.exceptions.
from dbdriver.exceptions import *  # noqa: F403
from dbdriver.supervisor import DriverProcess, DriverStartError

__all__ = [
    "DriverClient",
    "DriverClientFactory",
    "DriverClientProtocol",
    "DriverProcess",
    "DriverStartError",
    "ReconnectingClient",
    "Transaction",
    "__version__",
    "connect",
    "connect_endpoint",
]
# Every exception; their helper stays in dbdriver.exceptions.
__all__ += exceptions.__all__
__all__.remove("error_for_code")
