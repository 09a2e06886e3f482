"""Running test code in several threads at once, each with its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def in_threads(target: Callable[[int], object], count: int = 2) -> list[Exception]:
    """Run ``target(index)`` in ``count`` threads released together; the errors they raised."""
    errors: list[Exception] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            target(index)
        except Exception as error:  # reported by the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
