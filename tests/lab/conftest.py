import pytest

from pgha_lab.lab import Lab


@pytest.fixture(scope="session")
def lab() -> Lab:
    return Lab.load()
