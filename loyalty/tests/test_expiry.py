import datetime
import zoneinfo

from loyalty.membership import members_activate
from loyalty.models import EarningSettings, PointEntry
from loyalty.orders import order_record
from loyalty.services import expiry_for, points_expire, points_expire_all
from loyalty.tests.factories import PointEntryFactory
from loyalty.tests.test_ledger import HOUR, PHONE, T0, order
from members.models import Customer

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def setup_member(shop, **rule):
    EarningSettings.objects.update_or_create(shop=shop, defaults=rule)
    customer = Customer.objects.create(shop=shop, phone=PHONE)
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk], when=T0 - HOUR)
    return customer


def test_expiry_dates_follow_the_rule_in_the_shops_time_zone(shop):
    months = EarningSettings(expiry=EarningSettings.Expiry.MONTHS, expiry_months=6)
    year_end = EarningSettings(expiry=EarningSettings.Expiry.YEAR_END)
    late_evening_utc = datetime.datetime(2026, 12, 31, 18, 0, tzinfo=datetime.UTC)  # 01/01/2027 01:00 in Vietnam

    assert expiry_for(months, T0, shop) == datetime.datetime(2027, 5, 1, tzinfo=HCM)
    assert expiry_for(year_end, late_evening_utc, shop) == datetime.datetime(2028, 1, 1, tzinfo=HCM)
    assert expiry_for(EarningSettings(), T0, shop) is None


def test_points_lapse_oldest_first_once_a_day(shop):
    customer = setup_member(shop, expiry=EarningSettings.Expiry.MONTHS, expiry_months=1)
    order_record(shop=shop, data=order("1", total=1_000_000))  # 100 points, lapse 01/12/2026
    later = T0 + 20 * 24 * HOUR
    order_record(shop=shop, data=order("2", total=500_000, created=later, updated=later))  # 50, lapse 21/12
    PointEntryFactory(shop=shop, customer=customer, points=-30, source_id="x", key="gift", reason="Đổi quà")

    first = points_expire(shop=shop, now=datetime.datetime(2026, 12, 2, 1, 0, tzinfo=HCM))
    again = points_expire(shop=shop, now=datetime.datetime(2026, 12, 2, 20, 0, tzinfo=HCM))

    customer.refresh_from_db()
    assert (first, again) == (1, 0)
    assert customer.points_balance == 50  # 100 earned − 30 spent = 70 lapsed; the newer 50 stay
    assert PointEntry.objects.get(kind="expire").points == -70

    points_expire(shop=shop, now=datetime.datetime(2026, 12, 22, 1, 0, tzinfo=HCM))
    customer.refresh_from_db()
    assert customer.points_balance == 0


def test_shops_without_an_expiry_rule_keep_their_points(shop):
    customer = setup_member(shop)
    order_record(shop=shop, data=order("1"))

    points_expire_all()

    customer.refresh_from_db()
    assert customer.points_balance == 123
