from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import client_ip
from members.models import Customer
from rewards.forms import RedeemForm, RewardForm
from rewards.models import Reward
from rewards.selectors import catalogue_page
from rewards.services import RedeemError, redemption_create, reward_save, reward_switch
from shops.decorators import owner_required, shop_member_required


@owner_required
def catalogue_view(request):
    form = RewardForm(request.POST or None, shop=request.shop, initial={"valid_days": 30, "active": True})
    if request.method == "POST" and form.is_valid():
        reward = reward_save(
            shop=request.shop, actor=request.user, ip=client_ip(request), reward=None, values=form.cleaned_data
        )
        messages.success(request, _("Reward %(name)s added.") % {"name": reward.name})
        return redirect("rewards:catalogue")
    page = catalogue_page(shop=request.shop)
    slug = request.shop.slug
    member_page_url = f"{settings.SITE_URL}{reverse('portal:home', args=[slug])}" if slug else ""
    return render(request, "rewards/catalogue.html", {"form": form, "member_page_url": member_page_url, **page})


@owner_required
def reward_edit_view(request, pk: int):
    reward = get_object_or_404(Reward.objects.for_shop(request.shop), pk=pk)
    form = RewardForm(request.POST or None, instance=reward, shop=request.shop)
    if request.method == "POST" and form.is_valid():
        reward_save(
            shop=request.shop, actor=request.user, ip=client_ip(request), reward=reward, values=form.cleaned_data
        )
        messages.success(request, _("Saved."))
        return redirect("rewards:catalogue")
    return render(request, "rewards/edit.html", {"form": form, "reward": reward})


@owner_required
@require_POST
def reward_switch_view(request, pk: int):
    reward = get_object_or_404(Reward.objects.for_shop(request.shop), pk=pk)
    active = request.POST.get("active") == "1"
    reward_switch(shop=request.shop, actor=request.user, ip=client_ip(request), reward_id=reward.pk, active=active)
    text = _("%(name)s is on.") if active else _("%(name)s is off.")
    messages.success(request, text % {"name": reward.name})
    return redirect("rewards:catalogue")


@shop_member_required
@require_POST
def member_redeem_view(request, pk: int):
    customer = get_object_or_404(Customer.objects.for_shop(request.shop), pk=pk)
    form = RedeemForm(request.POST, shop=request.shop)
    target = reverse("members:detail", args=[customer.pk]) + "#rewards"
    if not form.is_valid():
        messages.error(request, _("Choose a reward that is on."))
        return redirect(target)
    try:
        redeemed = redemption_create(
            shop=request.shop,
            customer_id=customer.pk,
            reward_id=form.cleaned_data["reward"].pk,
            request_key=form.cleaned_data["request_key"],
            actor=request.user,
            ip=client_ip(request),
        )
    except RedeemError as error:
        messages.error(request, str(error))
        return redirect(target)
    if redeemed.created:
        messages.success(
            request,
            _("Redeemed: code %(code)s is being made in Haravan and will be sent to the member.")
            % {"code": redeemed.redemption.code},
        )
    else:
        messages.info(request, _("This redemption was already submitted; it is not made twice."))
    return redirect(target)
