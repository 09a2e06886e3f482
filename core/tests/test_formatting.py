import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from core.formatting import format_date, format_datetime, format_vnd

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(1_500_000, "1.500.000 ₫"), (0, "0 ₫"), (999, "999 ₫"), (-25_000, "-25.000 ₫"), (1234567890, "1.234.567.890 ₫")],
)
def test_money_is_whole_dong_with_dots(amount, shown):
    assert format_vnd(amount) == shown


def test_an_evening_in_utc_is_the_next_day_in_vietnam():
    moment = datetime.datetime(2026, 12, 31, 17, 30, tzinfo=datetime.UTC)

    assert format_date(moment, HCM) == "01/01/2027"
    assert format_datetime(moment, HCM) == "01/01/2027 00:30"
    assert format_date(datetime.date(2026, 3, 5)) == "05/03/2026"


def test_template_filters_follow_the_active_time_zone():
    template = Template("{{ amount|vnd }} {{ moment|dmy }} {{ moment|dmy_hm }}")
    moment = datetime.datetime(2026, 6, 1, 18, 5, tzinfo=datetime.UTC)

    with timezone.override(HCM):
        rendered = template.render(Context({"amount": 1500000, "moment": moment}))

    assert rendered == "1.500.000 ₫ 02/06/2026 02/06/2026 01:05"


def test_empty_values_show_nothing():
    assert (format_vnd(None), format_date(None), format_datetime(None)) == ("", "", "")
