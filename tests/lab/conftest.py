import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lab import Lab  # noqa: E402


@pytest.fixture(scope="session")
def lab() -> Lab:
    return Lab.load()
