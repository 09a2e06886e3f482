from django import template

from core.formatting import format_date, format_datetime, format_vnd

register = template.Library()

register.filter("vnd", format_vnd)
register.filter("dmy", lambda value: format_date(value))
register.filter("dmy_hm", lambda value: format_datetime(value))
