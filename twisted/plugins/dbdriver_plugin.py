"""
The C{twistd dbdriver} plugin.  Kept free of heavy imports: twistd imports
every plugin to list them.
"""

from twisted.application.service import ServiceMaker

dbdriver = ServiceMaker(
    "dbdriver",
    "dbdriver.tap",
    "A database driver process: table-level operations over a Unix socket.",
    "dbdriver",
)
