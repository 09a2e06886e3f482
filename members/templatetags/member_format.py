from django import template

from members.phones import format_phone_national

register = template.Library()

register.filter("phone", format_phone_national)
