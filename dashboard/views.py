from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.formatting import format_date, format_int, format_vnd
from dashboard.charts import day_bars, share_bars
from dashboard.forms import RangeForm
from dashboard.selectors import WINDOW_DAYS, dashboard_overview, range_window, rolling_window
from shops.decorators import shop_member_required

DAY_COLUMNS = ("new_members", "new_customers_guests", "new_customers_members", "orders")
WINDOW_LABELS = {"today": _("Today"), "7": _("Last 7 days"), "30": _("Last 30 days"), "90": _("Last 90 days")}


@shop_member_required
def index_view(request):
    today = timezone.localdate(timezone.now(), request.shop.tzinfo)
    key = request.GET.get("window", "7")
    form = RangeForm(request.GET if key == "range" else None, today=today)
    if key == "range" and form.is_valid():
        window = range_window(form.cleaned_data["start"], form.cleaned_data["end"])
    else:
        window = rolling_window(key if key in WINDOW_DAYS else "7", today)
    overview = dashboard_overview(shop=request.shop, window=window)
    if not form.is_bound:
        form = RangeForm(initial={"start": window.start, "end": window.last_day}, today=today)
    chart = day_bars(
        overview.by_day,
        [
            ("new_members", "series-members", _("New members")),
            ("new_customers_guests", "series-guests", _("New customers, not members")),
            ("new_customers_members", "series-member-customers", _("New customers who are members")),
        ],
    )
    revenue_chart = day_bars(overview.by_day, [("revenue", "series-revenue", _("Revenue"))], value_text=format_vnd)
    tiers = overview.tiers + ([(_("Not placed in a tier yet"), overview.unplaced)] if overview.unplaced else [])
    return render(
        request,
        "dashboard/index.html",
        {
            "overview": overview,
            "figures": overview.figures,
            "windows": WINDOW_LABELS.items(),
            "form": form,
            "chart": chart,
            "revenue_chart": revenue_chart,
            "tiers": share_bars(tiers),
            "day_rows": [
                (format_date(day), *(format_int(values[name]) for name in DAY_COLUMNS), format_vnd(values["revenue"]))
                for day, values in overview.by_day
            ],
        },
    )
