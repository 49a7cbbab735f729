"""Test configuration: servers and databases come from the ``fix_server`` plugin."""

pytest_plugins = ["tests.fix_server"]
