from haravan.tests.conftest import connection, fake_haravan  # noqa: F401  (the fake Haravan on loopback)
