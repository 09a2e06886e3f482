from django import template

from core.formatting import format_date, format_datetime, format_int, format_vnd

register = template.Library()

register.filter("vnd", format_vnd)
register.filter("dmy", lambda value: format_date(value))
register.filter("dmy_hm", lambda value: format_datetime(value))
register.filter("num", lambda value: format_int(int(value or 0)))


@register.filter
def change(percent: float | None) -> str:
    """A change in percent as staff read it: "+12,5 %", "−3 %", "—" when there is nothing to compare."""
    if percent is None:
        return "—"
    text = f"{abs(percent):.1f}".rstrip("0").rstrip(".").replace(".", ",")
    sign = "+" if percent > 0 else ("−" if percent < 0 else "±")
    return f"{sign}{text} %"
