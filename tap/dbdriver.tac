# An example .tac file: run the driver with `twistd -ny tap/dbdriver.tac`.
# Settings come from the environment so one file serves several setups:
#   DBDRIVER_SOCKET (default dbdriver.sock), DBDRIVER_DATABASE (default
#   dbdriver.sqlite3), DBDRIVER_POOL_SIZE, DBDRIVER_READ_ONLY=1.
import os

from twisted.application.service import Application

from dbdriver.server.config import Config
from dbdriver.server.runner import DriverService

config = Config(
    database=os.environ.get("DBDRIVER_DATABASE", "dbdriver.sqlite3"),
    pool_size=int(os.environ["DBDRIVER_POOL_SIZE"])
    if os.environ.get("DBDRIVER_POOL_SIZE")
    else None,
    read_only=os.environ.get("DBDRIVER_READ_ONLY") == "1",
)

application = Application("dbdriver")
DriverService(
    config, socket_path=os.environ.get("DBDRIVER_SOCKET", "dbdriver.sock")
).setServiceParent(application)
