"""Composers: what writes a message's subject and body just before it is sent.

A message queued in bulk (a campaign's) carries no body: ``Message.composer`` names the
composer, registered by the app that queued it, which writes each message of a leased batch
from what is true at that moment (the customer's name and points, their code). A composer
may refuse a message with a reason (a value it needs is missing, a code could not be made):
the outbox records it SKIPPED with that reason and goes on with the others.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from messaging.models import Message


@dataclass(frozen=True)
class Composed:
    subject: str = ""
    text: str = ""
    html: str = ""  # email only: the HTML part beside the plain text
    skip: str = ""  # why this message is not sent; staff read it


Composer = Callable[[Sequence[Message]], dict[int, Composed]]


@dataclass(frozen=True)
class Eligibility:
    """What must still be true of a composer's message when it starts, checked in the
    statement that starts it (messaging.services.outbox_start): ``sql`` is a condition on
    the message's row, named ``{message}`` in it, with its ``params``; ``reason`` says why
    a message that fails it is skipped (it is called only then)."""

    sql: str
    params: Callable[[], list]
    reason: Callable[[Message], str]


_composers: dict[str, Composer] = {}
_eligibility: dict[str, Eligibility] = {}


def composer_register(name: str, composer: Composer, *, eligibility: Eligibility | None = None) -> None:
    """Called from an app's ``ready()``: ``composer`` gets a batch of messages (their
    customers loaded) and returns each one's ``Composed`` by message id. ``eligibility``:
    what the statement that starts each of its messages checks again."""
    _composers[name] = composer
    if eligibility is not None:
        _eligibility[name] = eligibility


def eligibility_for(composer: str) -> Eligibility | None:
    return _eligibility.get(composer) if composer else None


def messages_compose(messages: Sequence[Message]) -> dict[int, Composed]:
    """Each message's content by id; a message without a composer is sent as stored."""
    composed: dict[int, Composed] = {}
    by_composer: dict[str, list[Message]] = {}
    for message in messages:
        if message.composer:
            by_composer.setdefault(message.composer, []).append(message)
        else:
            composed[message.pk] = Composed(subject=message.subject, text=message.body)
    for name, batch in by_composer.items():
        composer = _composers.get(name)
        if composer is None:
            raise LookupError(f"no composer named {name!r} is registered")
        composed.update(composer(batch))
    return composed
