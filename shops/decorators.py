from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def shop_member_required(view):
    """The person is logged in and belongs to a shop (request.shop is set)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.shop is None:
            return render(request, "shops/no_shop.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def owner_required(view):
    """Settings and secrets: the shop's owners only."""

    @wraps(view)
    @shop_member_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_owner:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
