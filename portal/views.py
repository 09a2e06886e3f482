"""The member's own page, public, per shop at /m/<slug>/: a phone, a one-time code, then
that member's points, tier, history and rewards. In Vietnamese (members are not staff with
a language setting), never cached, and every read goes through the member the session
proved."""

import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.http import client_ip
from members.models import Customer
from members.phones import InvalidPhone, format_phone_national
from portal.forms import CodeForm, PhoneForm, RedeemForm
from portal.selectors import member_home
from portal.services import sign_in_code_check, sign_in_code_send
from rewards.services import RedeemError, redemption_create
from shops.models import Shop

SIGNED_IN = "portal_member"
PENDING = "portal_phone"


def member_page(view):
    """The shop from the address (404 for none), the page in Vietnamese, never cached."""

    @never_cache
    @wraps(view)
    def wrapper(request, slug: str, *args, **kwargs):
        shop = get_object_or_404(Shop.objects.exclude(slug=""), slug=slug)
        with translation.override("vi"):
            return view(request, shop, *args, **kwargs)

    return wrapper


def signed_in_member(request, shop: Shop) -> Customer | None:
    """The member this browser proved, for this shop, while the sign-in lasts."""
    data = request.session.get(SIGNED_IN)
    if not isinstance(data, dict) or data.get("shop") != shop.pk or data.get("until", 0) < timezone.now().timestamp():
        return None
    return (
        Customer.objects.for_shop(shop)
        .select_related("shop", "tier")
        .filter(pk=data.get("customer"), member_since__isnull=False)
        .first()
    )


@member_page
def home_view(request, shop: Shop):
    customer = signed_in_member(request, shop)
    if customer is not None:
        page = member_home(shop=shop, customer=customer)
        return render(request, "portal/home.html", {"shop": shop, "redeem_key": uuid.uuid4().hex, **page})
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asked = sign_in_code_send(shop=shop, raw_phone=form.cleaned_data["phone"], ip=client_ip(request))
        except InvalidPhone:
            form.add_error("phone", _("This is not a phone number: type the 10 digits, such as 0912 345 678."))
        else:
            if asked.refusal:
                form.add_error(None, asked.refusal)
            else:
                request.session[PENDING] = {"shop": shop.pk, "phone": asked.phone}
                return redirect("portal:code", slug=shop.slug)
    return render(request, "portal/phone.html", {"shop": shop, "form": form})


@member_page
def code_view(request, shop: Shop):
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("shop") != shop.pk:
        return redirect("portal:home", slug=shop.slug)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = sign_in_code_check(
            shop=shop, phone=pending["phone"], code=form.cleaned_data["code"], ip=client_ip(request)
        )
        if checked.customer is not None:
            request.session.cycle_key()  # a new session id for the signed-in member
            request.session.pop(PENDING, None)
            request.session[SIGNED_IN] = {
                "shop": shop.pk,
                "customer": checked.customer.pk,
                "until": timezone.now().timestamp() + settings.PORTAL_SESSION_MINUTES * 60,
            }
            return redirect("portal:home", slug=shop.slug)
        form.add_error("code", checked.refusal)
    return render(
        request,
        "portal/code.html",
        {"shop": shop, "form": form, "phone": format_phone_national(pending["phone"])},
    )


@member_page
@require_POST
def redeem_view(request, shop: Shop):
    customer = signed_in_member(request, shop)
    if customer is None:
        messages.error(request, _("Your sign-in has lapsed: sign in again."))
        return redirect("portal:home", slug=shop.slug)
    form = RedeemForm(request.POST)
    if form.is_valid():
        try:
            redeemed = redemption_create(
                shop=shop,
                customer_id=customer.pk,
                reward_id=form.cleaned_data["reward"],
                request_key=f"member:{form.cleaned_data['request_key']}",
                actor=None,
                ip=client_ip(request),
            )
        except RedeemError as error:
            messages.error(request, str(error))
        else:
            if redeemed.created:
                messages.success(
                    request,
                    _("Done! Your code is %(code)s. It is on its way to you too.") % {"code": redeemed.redemption.code},
                )
    # To the top, where the message says what happened (and the page refreshes itself while
    # the code is made: a fragment in the address would turn that refresh into a jump).
    return redirect("portal:home", slug=shop.slug)


@member_page
@require_POST
def sign_out_view(request, shop: Shop):
    request.session.pop(SIGNED_IN, None)
    return redirect("portal:home", slug=shop.slug)
