import threading
import time

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from core.concurrency import read_ahead


def test_yields_every_item_in_order_from_another_thread():
    threads = set()

    def items():
        for number in range(50):
            threads.add(threading.current_thread().name)
            yield number

    assert list(read_ahead(items(), depth=2)) == list(range(50))
    assert threads == {"read-ahead"}


def test_reads_the_next_item_while_the_caller_works():
    produced = []

    def items():
        for number in range(3):
            produced.append(number)
            yield number

    consumed = read_ahead(items(), depth=1)
    assert next(consumed) == 0
    deadline = time.monotonic() + 5
    while len(produced) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # the caller "waits on the database"
    assert produced[:2] == [0, 1]  # item 1 was read while the caller held item 0
    assert list(consumed) == [1, 2]


def test_an_error_in_the_thread_is_raised_to_the_caller_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("row 3 is broken")

    got = []
    with pytest.raises(ValueError, match="row 3 is broken"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_the_thread_stops_when_the_caller_stops_early():
    produced = []

    def items():
        for number in range(1_000):
            produced.append(number)
            yield number

    consumed = read_ahead(items(), depth=1)
    assert next(consumed) == 0
    consumed.close()
    time.sleep(0.2)
    assert len(produced) <= 3
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_the_thread_reads_in_the_callers_language():
    def items():
        yield _("Customers")

    with translation.override("vi"):
        vietnamese = list(read_ahead(items()))
    with translation.override("en"):
        english = list(read_ahead(items()))
    assert english == ["Customers"]
    assert vietnamese != english
