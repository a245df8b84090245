import os

import pytest


@pytest.fixture
def redis_url() -> str:
    """The Redis that CI provides; outside CI a missing Redis skips, in CI it fails loudly."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set in CI: the real Redis must be used")
        pytest.skip("REDIS_URL is not set")
    return url
