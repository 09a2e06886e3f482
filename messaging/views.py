from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.models import Customer
from messaging import services
from messaging.forms import EmailSettingsForm, SmsSettingsForm
from messaging.senders import SendError
from messaging.sms import sms_size, without_marks
from shops.decorators import owner_required
from shops.services import client_ip


@owner_required
def settings_view(request):
    """1-3 Tin nhắn: the Gmail/SMTP form and the VietGuys form, each with "Send a test"
    (with the values as typed, before saving) and "Save"."""
    config = services.messaging_settings_for(request.shop)
    which = request.POST.get("form") if request.method == "POST" else None
    email_form = EmailSettingsForm(request.POST if which == "email" else None, instance=config, prefix="email",
                                   initial={"test_to": request.user.email})  # fmt: skip
    sms_form = SmsSettingsForm(request.POST if which == "sms" else None, instance=config, prefix="sms")
    form = {"email": email_form, "sms": sms_form}.get(which)
    if form is not None and form.is_valid():
        values = {name: value for name, value in form.cleaned_data.items() if not name.startswith("test_")}
        if request.POST.get("action") == "test":
            if _test(request, which, form, values):
                return redirect("messaging:settings")
        else:
            save = services.email_settings_save if which == "email" else services.sms_settings_save
            changed = save(shop=request.shop, actor=request.user, ip=client_ip(request), **values)
            messages.success(request, _("Settings saved.") if changed else _("Nothing changed."))
            return redirect("messaging:settings")
    config.refresh_from_db()
    return render(
        request,
        "messaging/settings.html",
        {"config": config, "email_form": email_form, "sms_form": sms_form, "example": _sms_example(request.shop)},
    )


def _test(request, which: str, form, values: dict) -> bool:
    """Send the test; True when it went (the page may reload), False to show the form with
    what to fix."""
    try:
        if which == "email":
            to = form.cleaned_data["test_to"]
            if not to:
                form.add_error("test_to", _("Enter the address that receives the test."))
                return False
            services.email_test_send(shop=request.shop, to=to, **values)
            messages.success(
                request, _("The test email was sent to %(to)s. The settings are not saved yet.") % {"to": to}
            )
        else:
            phone = form.cleaned_data["test_phone"]
            if not phone:
                form.add_error("test_phone", _("Enter the phone that receives the test."))
                return False
            services.sms_test_send(shop=request.shop, phone=phone, **values)
            messages.success(
                request, _("The test SMS was sent to %(to)s. The settings are not saved yet.") % {"to": phone}
            )
    except SendError as error:
        form.add_error(None, error.reason)
        return False
    return True


def _sms_example(shop) -> dict:
    """A birthday SMS, to show what Vietnamese marks cost (customers read Vietnamese)."""
    with_marks = f"Chúc mừng sinh nhật! {shop.name} tặng bạn mã giảm giá 10% cho đơn hàng tiếp theo."
    return {"text": with_marks, "size": sms_size(with_marks), "plain_size": sms_size(without_marks(with_marks))}


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
    customer = Customer.objects.select_related("shop").filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    return render(request, "messaging/unsubscribed.html", {"shop": customer.shop, "done": not customer.accepts_email})
