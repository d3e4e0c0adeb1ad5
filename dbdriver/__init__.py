"""
dbdriver: a Twisted database driver process and its client.

The server runs as C{twistd dbdriver}; applications talk to it with
L{connect} and the L{DriverClient} it gives.
"""

from ._version import __version__

__all__ = ["__version__"]
