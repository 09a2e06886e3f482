"""Django's clock (``timezone.now`` as the code calls it) set to an instant for a test; it
runs on from there. Model defaults keep the real clock."""

import datetime

import pytest
from django.utils import timezone


class Clock:
    def __init__(self, monkeypatch):
        self._real = timezone.now
        self._offset = datetime.timedelta(0)
        monkeypatch.setattr(timezone, "now", self.now)

    def now(self) -> datetime.datetime:
        return self._real() + self._offset

    def set(self, instant: datetime.datetime) -> None:
        self._offset = instant - self._real()


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
