from django.conf import settings
from django.utils import timezone, translation


def _language_for(request) -> str:
    user = request.user
    if user.is_authenticated:
        return user.language
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    # Vietnamese first: the browser's Accept-Language is not consulted.
    return settings.LANGUAGE_CODE


class ShopContextMiddleware:
    """Sets ``request.shop`` to the staff member's shop, and activates their language and
    the shop's time zone for everything the request renders."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        request.shop = user.shop if user.is_authenticated and user.shop_id else None
        language = _language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        if request.shop is not None:
            timezone.activate(request.shop.tzinfo)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
