"""
C{python -m dbdriver}: see L{dbdriver.server.cli}.
"""

from dbdriver.server.cli import run_database_driver

if __name__ == "__main__":
    run_database_driver()
