from django.shortcuts import render

from shops.decorators import owner_required, shop_member_required


def _not_built(request, title, description):
    return render(request, "core/not_built.html", {"title": title, "description": description})


def not_built_page(title, description, *, owner_only: bool = False):
    """A page of the menu whose feature is not built yet: it says so plainly."""

    def view(request):
        return _not_built(request, title, description)

    return (owner_required if owner_only else shop_member_required)(view)
