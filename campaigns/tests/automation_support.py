"""What the automation tests share: members, the messages queued, moments in a zone."""

import datetime
import zoneinfo

from django.utils import timezone

from members.tests.factories import CustomerFactory
from messaging.models import Message

Status = Message.Status
UTC = datetime.UTC
VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def _member(shop, name, *, birthday=None, **fields):
    fields.setdefault("member_since", timezone.now() - datetime.timedelta(days=400))
    fields.setdefault("email", f"{name.lower()}@example.vn")
    return CustomerFactory(shop=shop, name=name, birthday=birthday, **fields)


def _queued(campaign):
    return Message.objects.filter(source=campaign.source, status=Status.QUEUED)


def _at(year, month, day, hour=0, minute=0, zone=UTC):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=zone)
