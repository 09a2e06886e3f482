from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The guide's menu, in its order: (label, url name). Settings are for owners only.
SETTINGS_MENU = [
    (_("Activity log"), "shops:activity"),
    (_("Loyalty"), "loyalty:settings"),
    (_("Messaging"), "messaging:settings"),
    (_("Campaign settings"), "campaigns:settings"),
    (_("Haravan"), "haravan:connection"),
    (_("Opening balances"), "imports:opening"),
    (_("Shop and staff"), "shops:settings"),
]
MAIN_MENU = [
    (_("Overview"), "dashboard:index"),
    (_("Member profiles"), "members:list"),
    (_("Customer groups"), "members:groups"),
    (_("Campaigns"), "campaigns:list"),
    (_("Automated campaigns"), "campaigns:automations"),
]


def _items(request, menus):
    """Each menu's items, the one whose address is the longest start of this page's marked:
    /members/groups/ lies under /members/ too, and only one item may be the current one. A
    page outside every item's address (an import job's) names the item it belongs to in
    ``request.menu_path``."""
    path = getattr(request, "menu_path", None) or request.path
    built = [
        [{"label": label, "url": reverse(url_name), "active": False} for label, url_name in menu] for menu in menus
    ]
    matching = [item for items in built for item in items if path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return built


def shell(request):
    """The sidebar's menus for the logged-in staff member."""
    if getattr(request, "shop", None) is None:
        return {}
    settings_menu, main_menu = _items(request, [SETTINGS_MENU if request.user.is_owner else [], MAIN_MENU])
    return {"settings_menu": settings_menu, "main_menu": main_menu}
