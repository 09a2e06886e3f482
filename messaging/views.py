from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from messaging import selectors, services
from messaging.forms import EmailSettingsForm, SmsSettingsForm
from messaging.senders import SendError
from shops.decorators import owner_required

FORMS = {"email": EmailSettingsForm, "sms": SmsSettingsForm}


@sensitive_post_parameters("email-smtp_password", "sms-sms_password")
@owner_required
def settings_view(request):
    """1-3 Tin nhắn: the Gmail/SMTP form and the VietGuys form, each with "Send a test"
    (with the values as typed, before saving) and "Save"."""
    config = selectors.messaging_settings_read(request.shop)  # the forms' instance
    which = request.POST.get("form") if request.method == "POST" else None
    if which not in FORMS:
        which = None
        for name in FORMS:  # a fresh page: nothing tested is waiting to be saved
            request.session.pop(_kept_key(name), None)
    kept = _kept(request, which) if which else None
    forms = {
        name: form_class(
            request.POST if name == which else None,
            instance=config,
            prefix=name,
            initial={"test_to": request.user.email} if name == "email" else None,
            kept=kept if name == which else None,
        )
        for name, form_class in FORMS.items()
    }
    form = forms.get(which)
    kept_now = None
    gmail_steps = False  # open the app-password steps: Gmail just asked for one
    if form is not None and form.is_valid():
        if request.POST.get("action") == "test":
            sent, failure = _test(request, which, form)
            gmail_steps = failure is not None and failure.gmail_steps
            if sent and (entry := form.kept_secret()):
                request.session[_kept_key(which)] = {**entry, "shop": request.shop.pk}
                kept_now = which
        else:
            save = services.email_settings_save if which == "email" else services.sms_settings_save
            changed = save(shop=request.shop, actor=request.user, ip=client_ip(request), account=form.account())
            messages.success(request, _("Settings saved.") if changed else _("Nothing changed."))
            return redirect("messaging:settings")
    context = {"email_form": forms["email"], "sms_form": forms["sms"], "gmail_steps": gmail_steps}
    return render(
        request, "messaging/settings.html", {**context, **selectors.settings_page(request.shop, kept=kept_now)}
    )


def _kept_key(which: str) -> str:
    return f"messaging.kept.{which}"


def _kept(request, which: str) -> dict | None:
    """The secret of this session's last good test of the form, taken: it serves the next
    post of that form only."""
    entry = request.session.pop(_kept_key(which), None)
    return entry if entry and entry.get("shop") == request.shop.pk else None


def _test(request, which: str, form) -> tuple[bool, SendError | None]:
    """Send the test: whether it went, and the server's refusal if there was one; what to fix
    is added to the form."""
    try:
        if which == "email":
            to = form.cleaned_data["test_to"]
            if not to:
                form.add_error("test_to", _("Enter the address that receives the test."))
                return False, None
            services.email_test_send(shop=request.shop, to=to, account=form.account())
            sent = _("The test email was sent to %(to)s. The settings are not saved yet: click Save to keep them.")
        else:
            to = form.cleaned_data["test_phone"]
            if not to:
                form.add_error("test_phone", _("Enter the phone that receives the test."))
                return False, None
            services.sms_test_send(shop=request.shop, phone=to, account=form.account())
            sent = _("The test SMS was sent to %(to)s. The settings are not saved yet: click Save to keep them.")
    except SendError as error:
        form.add_error(error.field, error.reason)
        return False, error
    messages.success(request, sent % {"to": to})
    return True, None


@csrf_exempt  # mail programs' one-click POST (RFC 8058) carries no session: the signed link is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, token: str):
    customer_id = services.unsubscribe_customer_id(token)
    if customer_id is None:
        raise Http404
    if request.method == "POST":
        customer = services.email_unsubscribe(customer_id=customer_id, ip=client_ip(request))
        if customer is None:
            raise Http404
        return render(request, "messaging/unsubscribed.html", {"shop": customer.shop, "done": True})
    page = selectors.unsubscribe_page(customer_id=customer_id)
    if page is None:
        raise Http404
    return render(request, "messaging/unsubscribed.html", page)
