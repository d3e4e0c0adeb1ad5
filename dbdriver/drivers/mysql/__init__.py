"""
The MySQL/MariaDB backend (PyMySQL).
"""
