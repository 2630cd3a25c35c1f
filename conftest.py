pytest_plugins = ["gridgov.core.testing.fixtures"]
