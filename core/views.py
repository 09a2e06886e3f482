from django.shortcuts import redirect
from django.templatetags.static import static


def favicon_view(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page's <link> says: send them to
    the icon rather than a 404 in every log."""
    return redirect(static("favicon.svg"), permanent=False)
