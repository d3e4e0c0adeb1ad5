"""
The driver as a supervised child of the application's process:
L{DriverProcess} starts, watches, restarts and stops C{python -m dbdriver}.
"""

from dbdriver.supervisor.backoff import RestartPolicy
from dbdriver.supervisor.process import DriverProcess, DriverStartError

__all__ = ["DriverProcess", "DriverStartError", "RestartPolicy"]
