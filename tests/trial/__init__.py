"""
Tests run by C{python -m twisted.trial tests.trial} (trial's own reactor and
its dirty-reactor check), not by pytest.
"""
