"""Overlapping Python work with the database's."""

import threading
from collections.abc import Generator, Iterable
from queue import Empty, Full, Queue
from typing import TypeVar

from django.utils import translation

T = TypeVar("T")

_END = object()


def read_ahead(items: Iterable[T], *, depth: int = 1) -> Generator[T, None, None]:
    """The items of ``items``, produced by a thread up to ``depth`` items ahead of the
    caller: while the caller waits on the database (the driver lets go of the GIL then),
    the next batch is read and parsed.

    The thread must not use the database (it has no connection of the caller's, nor its
    transaction); it reads in the caller's language, so messages it writes are translated
    the same. An exception it raises is raised here, at the item it stopped at; if the
    caller stops early, the thread stops after the item it is on."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            with translation.override(language):
                for item in items:
                    if not put((item, None)):
                        return
            put((_END, None))
        except BaseException as error:  # handed to the caller, raised there
            put((_END, error))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item, error = queue.get(timeout=0.5)
            except Empty:
                if thread.is_alive():
                    continue
                try:  # what it put just before it ended
                    item, error = queue.get_nowait()
                except Empty:
                    raise RuntimeError("The read-ahead thread ended without its last word.") from None
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
