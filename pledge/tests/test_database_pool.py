"""PostgreSQL connections come from each process's pool: many threads, few connections.

A web worker runs PLEDGE_WEB_THREADS threads (64), most of them waiting for a beacon commit;
without a pool each thread that ever served a page would keep a connection of its own.
"""

import threading

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_many_threads_share_the_pools_few_connections():
    size = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    threads_count = 4 * size
    backends, failures = set(), []
    start = threading.Barrier(threads_count)

    def page():
        from django.db import connection as own  # this thread's connection

        try:
            start.wait()
            with own.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid(), pg_sleep(0.05)")
                backends.add(cursor.fetchone()[0])
        except Exception as error:
            failures.append(error)
        finally:
            own.close()  # what Django does at the end of each request: back to the pool

    threads = [threading.Thread(target=page) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert 1 <= len(backends) <= size  # every thread was served, by at most `size` connections


def test_a_connection_is_given_back_not_closed():
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        connection.close()  # the end of a request
    opened = connection.pool.get_stats().get("connections_num", 0)
    for _ in range(5):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        connection.close()
    assert connection.pool.get_stats().get("connections_num", 0) == opened  # none opened anew
