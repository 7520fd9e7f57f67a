"""Suite-wide switches: tests marked ``postgres`` or ``redis`` run only where one is reachable."""

import os

import pytest
from django.conf import settings

# site_copy and use_site: an editable copy of sites/gonex (pledge/inventory/testing.py).
pytest_plugins = ["pledge.inventory.testing"]


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    redis_url = os.environ.get("TEST_REDIS_URL")
    skip_postgres = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    skip_redis = pytest.mark.skip(reason="needs Redis: set TEST_REDIS_URL=redis://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_postgres)
        if "redis" in item.keywords and not redis_url:
            item.add_marker(skip_redis)


@pytest.fixture
def redis_url():
    return os.environ["TEST_REDIS_URL"]
