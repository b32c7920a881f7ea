"""The lottery tests use no Django: keep them runnable with ``-p no:django``.

The project's root conftest clears the Django cache around every test;
nothing here touches the cache, so the fixture is replaced by a no-op for
this directory.
"""

import pytest


@pytest.fixture(autouse=True)
def _clean_cache():
    yield
