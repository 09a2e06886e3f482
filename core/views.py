from django.shortcuts import redirect, render
from django.templatetags.static import static

from shops.decorators import owner_required, shop_member_required


def _not_built(request, title, description):
    return render(request, "core/not_built.html", {"title": title, "description": description})


def not_built_page(title, description, *, owner_only: bool = False):
    """A page of the menu whose feature is not built yet: it says so plainly."""

    def view(request):
        return _not_built(request, title, description)

    return (owner_required if owner_only else shop_member_required)(view)


def favicon_view(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page's <link> says: send them to
    the icon rather than a 404 in every log."""
    return redirect(static("favicon.svg"), permanent=False)
