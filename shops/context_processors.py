from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The guide's menu, in its order: (label, url name). Settings are for owners only.
SETTINGS_MENU = [
    (_("Activity log"), "shops:activity"),
    (_("Loyalty"), "loyalty:settings"),
    (_("Messaging"), "messaging:settings"),
    (_("Haravan"), "haravan:connection"),
    (_("Opening balances"), "members:opening_import"),
    (_("Shop and staff"), "shops:settings"),
]
MAIN_MENU = [
    (_("Overview"), "dashboard:index"),
    (_("Member profiles"), "members:list"),
    (_("Customer groups"), "members:groups"),
    (_("Campaigns"), "campaigns:list"),
]


def _items(request, menu):
    items = []
    for label, url_name in menu:
        url = reverse(url_name)
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return items


def shell(request):
    """The sidebar's menus for the logged-in staff member."""
    if getattr(request, "shop", None) is None:
        return {}
    return {
        "settings_menu": _items(request, SETTINGS_MENU) if request.user.is_owner else [],
        "main_menu": _items(request, MAIN_MENU),
    }
