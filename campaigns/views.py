"""Chiến dịch: the list, the form, the preview and test send, the confirmation, the
campaign's page with its progress and report, and the owners' settings. Thin: the pages
read through campaigns.pages, the changes go through the services."""

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from campaigns import pages
from campaigns.audience import audience_count
from campaigns.content import sms_estimate
from campaigns.editing import (
    automation_for,
    automation_save,
    campaign_save,
    campaign_settings_read,
    campaign_settings_save,
)
from campaigns.forms import AutomationForm, CampaignForm, CampaignSettingsForm, TestSendForm
from campaigns.lifecycle import (
    CampaignError,
    automation_turn_off,
    automation_turn_on,
    campaign_cancel,
    campaign_pause,
    campaign_resume,
    campaign_start,
)
from campaigns.models import AUTOMATED_KINDS, Campaign
from campaigns.preview import campaign_test_send
from core.formatting import format_int
from core.http import client_ip
from members.models import Customer
from messaging.selectors import messaging_settings_read
from shops.decorators import owner_required, shop_member_required
from shops.exports import export_request
from shops.models import User

PAGE_SIZE = 30


def _campaign(request, pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.for_shop(request.shop).select_related("offer", "shop"), pk=pk)


@shop_member_required
def list_view(request):
    page = pages.campaign_list_page(shop=request.shop, number=request.GET.get("page"), per_page=PAGE_SIZE)
    return render(request, "campaigns/list.html", page)


@shop_member_required
def create_view(request):
    return _edit(request, None)


@shop_member_required
def edit_view(request, pk: int):
    campaign = _campaign(request, pk)
    if campaign.automated:
        return redirect("campaigns:automation", kind=campaign.kind)
    if campaign.state != Campaign.State.DRAFT:
        messages.info(request, _("This campaign has started: it can no longer be changed."))
        return redirect("campaigns:detail", pk=pk)
    return _edit(request, campaign)


def _edit(request, campaign: Campaign | None):
    shop = request.shop
    if request.method == "POST":
        form = CampaignForm(request.POST, shop=shop)
        if form.is_valid():
            try:
                campaign = campaign_save(
                    shop=shop, actor=request.user, data=form.cleaned_data, campaign=campaign, ip=client_ip(request)
                )
            except CampaignError as error:
                messages.error(request, error.message)
                return redirect("campaigns:detail", pk=campaign.pk) if campaign else redirect("campaigns:list")
            if request.POST.get("next") == "confirm":
                return redirect("campaigns:confirm", pk=campaign.pk)
            messages.success(request, _("Campaign saved as a draft."))
            return redirect("campaigns:detail", pk=campaign.pk)
    else:
        form = CampaignForm(initial=CampaignForm.initial_for(campaign, shop=shop), shop=shop)
    context = {"form": form, "campaign": campaign, **pages.campaign_form_page(shop=shop)}
    return render(request, "campaigns/form.html", context)


@shop_member_required
def detail_view(request, pk: int):
    campaign = _campaign(request, pk)
    if campaign.automated:
        return redirect("campaigns:automation", kind=campaign.kind)
    return render(request, "campaigns/detail.html", pages.campaign_detail_page(campaign=campaign))


@shop_member_required
def confirm_view(request, pk: int):
    """What starting it would do; the button starts it."""
    campaign = _campaign(request, pk)
    if request.method == "POST":
        try:
            campaign_start(campaign=campaign, actor=request.user, ip=client_ip(request))
        except CampaignError as error:
            messages.error(request, error.message)
            return redirect(
                "campaigns:confirm" if campaign.state == Campaign.State.DRAFT else "campaigns:detail", pk=pk
            )
        if campaign.state == Campaign.State.SCHEDULED:
            messages.success(request, _("The campaign is scheduled."))
        else:
            messages.success(request, _("The campaign has started."))
        return redirect("campaigns:detail", pk=pk)
    if campaign.state != Campaign.State.DRAFT:
        return redirect("campaigns:detail", pk=pk)
    return render(request, "campaigns/confirm.html", pages.campaign_confirm_page(campaign=campaign))


ACTIONS = {"pause": campaign_pause, "resume": campaign_resume, "cancel": campaign_cancel}
DONE = {
    "pause": _("Paused: nothing more goes out until you resume it."),
    "resume": _("Resumed: it goes on from where it stopped."),
    "cancel": _("Cancelled: nothing more goes out."),
}


@require_POST
@shop_member_required
def action_view(request, pk: int, action: str):
    campaign = _campaign(request, pk)
    if action not in ACTIONS or campaign.automated:
        return redirect("campaigns:detail", pk=pk)
    try:
        ACTIONS[action](campaign=campaign, actor=request.user, ip=client_ip(request))
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(DONE[action]))
    return redirect("campaigns:detail", pk=pk)


@shop_member_required
def preview_view(request, pk: int):
    campaign = _campaign(request, pk)
    page = pages.campaign_preview_page(campaign=campaign, customer_id=request.GET.get("customer"))
    user: User = request.user
    form = TestSendForm(initial={"customer": page["chosen"].pk if page["chosen"] else None, "email": user.email})
    return render(request, "campaigns/preview.html", {**page, "test_form": form})


@xframe_options_sameorigin
@require_GET
@shop_member_required
def preview_email_view(request, pk: int):
    """The email's HTML alone, for the preview's frame. Its own policy lets the email's
    inline styles apply (as in Gmail) and nothing run."""
    campaign = _campaign(request, pk)
    page = pages.campaign_preview_page(campaign=campaign, customer_id=request.GET.get("customer"))
    composed = page["preview"].get("email")
    response = HttpResponse(composed.html if composed and not composed.skip else "", content_type="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; sandbox"
    )
    return response


@require_POST
@shop_member_required
def test_send_view(request, pk: int):
    campaign = _campaign(request, pk)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the address and the phone you entered."))
        return redirect("campaigns:preview", pk=pk)
    customer = get_object_or_404(Customer.objects.for_shop(request.shop), pk=form.cleaned_data["customer"])
    results = campaign_test_send(
        campaign=campaign,
        actor=request.user,
        customer=customer,
        email=form.cleaned_data["email"],
        phone=form.cleaned_data["phone"],
        ip=client_ip(request),
    )
    names = {"email": _("Email"), "sms": _("SMS")}
    for channel, problem in results.items():
        if problem:
            messages.error(
                request, _("%(channel)s test not sent: %(reason)s") % {"channel": names[channel], "reason": problem}
            )
        else:
            messages.success(request, _("%(channel)s test sent.") % {"channel": names[channel]})
    return redirect(f"{reverse('campaigns:preview', args=[pk])}?customer={customer.pk}")


@require_POST
@shop_member_required
def export_view(request, pk: int):
    campaign = _campaign(request, pk)
    job = export_request(
        shop=request.shop,
        actor=request.user,
        ip=client_ip(request),
        kind="campaign_recipients",
        params={"campaign": campaign.pk},
        required_role=User.Role.STAFF,
    )
    return redirect("shops:export", pk=job.pk)


@require_GET
@shop_member_required
def audience_count_view(request):
    """The form's live count: members per channel after refusals and missing addresses."""
    form = CampaignForm(request.GET, shop=request.shop)
    form.is_valid()  # only the audience's fields are read, each cleaned on its own
    data = getattr(form, "cleaned_data", {})
    count = audience_count(
        shop=request.shop,
        audience=data.get("audience") or Campaign.Audience.ALL,
        tier_ids=data.get("tier_ids") or [],
        group_ids=data.get("group_ids") or [],
    )
    return JsonResponse(
        {
            "total": count.total,
            "email": count.email,
            "sms": count.sms,
            "label": _("%(total)s members: %(email)s reachable by email, %(sms)s by SMS")
            % {"total": format_int(count.total), "email": format_int(count.email), "sms": format_int(count.sms)},
        }
    )


@require_GET
@shop_member_required
def sms_estimate_view(request):
    """The SMS's parts and cost as it is typed, as it would be sent ([QC] and the refusal
    added for an offer, without diacritics if chosen)."""
    config = messaging_settings_read(request.shop)
    settings = campaign_settings_read(request.shop)
    estimate = sms_estimate(
        request.GET.get("sms_text", ""),
        advertising=request.GET.get("kind") == Campaign.Kind.OFFER or request.GET.get("offered") == "on",
        plain=request.GET.get("sms_plain") in ("on", "true", "1"),
        refuse_text=settings.sms_refuse_text,
        part_price=config.sms_part_price,
    )
    if not estimate.parts:
        label = _("Empty")
    elif config.sms_part_price:
        label = _("%(length)s characters, %(parts)s parts, about %(cost)s ₫ a message") % {
            "length": format_int(estimate.length),
            "parts": estimate.parts,
            "cost": format_int(estimate.cost),
        }
    else:
        label = _(
            "%(length)s characters, %(parts)s parts (enter the price of a part under Messaging to see the cost)"
        ) % {
            "length": format_int(estimate.length),
            "parts": estimate.parts,
        }
    return JsonResponse({"parts": estimate.parts, "cost": estimate.cost, "label": label, "note": estimate.note})


@owner_required
def settings_view(request):
    current = campaign_settings_read(request.shop)
    form = CampaignSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        changed = campaign_settings_save(shop=request.shop, actor=request.user, values=values, ip=client_ip(request))
        messages.success(request, _("Settings saved.") if changed else _("Nothing changed."))
        return redirect("campaigns:settings")
    return render(request, "campaigns/settings.html", {"form": form})


# --- automations ----------------------------------------------------------------------


@shop_member_required
def automations_view(request):
    return render(request, "campaigns/automations.html", pages.automations_page(shop=request.shop))


def _automation_kind(kind: str) -> str:
    if kind not in AUTOMATED_KINDS:
        raise Http404
    return kind


@shop_member_required
def automation_view(request, kind: str):
    """An automation's settings and content, its next run and its report. Staff may change
    and run it, as they may campaigns."""
    shop = request.shop
    automation = automation_for(shop=shop, kind=_automation_kind(kind))
    if request.method == "POST":
        form = AutomationForm(request.POST, shop=shop, kind=kind)
        if form.is_valid():
            changed = automation_save(
                shop=shop, actor=request.user, automation=automation, data=form.cleaned_data, ip=client_ip(request)
            )
            messages.success(request, _("Automation saved.") if changed else _("Nothing changed."))
            return redirect("campaigns:automation", kind=kind)
        messages.error(request, _("Some fields need fixing: see the messages under them."))
    else:
        form = AutomationForm(initial=AutomationForm.initial_for_automation(automation), shop=shop, kind=kind)
    by = request.GET.get("by") if request.GET.get("by") in ("day", "week") else "day"
    page = pages.automation_page(automation=automation, by=by)
    return render(request, "campaigns/automation.html", {**page, "form": form})


AUTOMATION_ACTIONS = {"on": automation_turn_on, "off": automation_turn_off}


@require_POST
@shop_member_required
def automation_action_view(request, kind: str, action: str):
    automation = automation_for(shop=request.shop, kind=_automation_kind(kind))
    if action not in AUTOMATION_ACTIONS:
        return redirect("campaigns:automation", kind=kind)
    try:
        AUTOMATION_ACTIONS[action](campaign=automation, actor=request.user, ip=client_ip(request))
    except CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Turned on: it runs by itself from now on.")
            if action == "on"
            else _("Turned off: nothing more goes out until it is turned on again."),
        )
    return redirect("campaigns:automation", kind=kind)
