"""Test configuration: plugins ``fix_server`` (servers, databases), ``fix_corpus``."""

pytest_plugins = ["tests.fix_server", "tests.fix_corpus"]
