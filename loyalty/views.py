from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.http import client_ip
from loyalty.forms import EarningSettingsForm, TierFormSet, TierSettingsForm
from loyalty.selectors import earning_settings_page, tiers_page
from loyalty.services import earning_settings_update
from loyalty.tiers import tiers_preview, tiers_save
from shops.decorators import owner_required


@owner_required
def settings_view(request):
    page = earning_settings_page(shop=request.shop)
    form = EarningSettingsForm(request.POST or None, instance=page["settings"])
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        changed = earning_settings_update(shop=request.shop, actor=request.user, ip=client_ip(request), **values)
        messages.success(request, _("Settings saved.") if changed else _("Nothing changed."))
        return redirect("loyalty:settings")
    return render(request, "loyalty/settings.html", {"form": form, **page})


@owner_required
def tiers_view(request):
    page = tiers_page(shop=request.shop)
    formset = TierFormSet(request.POST or None, initial=page["rows"], prefix="tiers")
    policy_form = TierSettingsForm(request.POST or None, instance=page["tier_settings"], prefix="review")
    preview = None
    if request.method == "POST" and formset.is_valid() and policy_form.is_valid():
        rows, removed = formset.rows(), formset.removed()
        policy = {name: policy_form.cleaned_data[name] for name in policy_form.Meta.fields}
        if "save" in request.POST:
            job = tiers_save(
                shop=request.shop, actor=request.user, ip=client_ip(request), rows=rows, removed=removed, policy=policy
            )
            if job and job.upward_only:
                messages.success(request, _("Members below the tier their spend reaches are being moved up."))
            elif job:
                messages.success(request, _("Tiers saved; every member is being placed again."))
            else:
                messages.success(request, _("Settings saved.") if policy_form.has_changed() else _("Nothing changed."))
            return redirect("loyalty:tiers")
        preview = tiers_preview(shop=request.shop, rows=rows, basis=policy["basis"])
        preview["removed"] = len(removed)
    return render(
        request,
        "loyalty/tiers.html",
        {"formset": formset, "policy_form": policy_form, "preview": preview, "job": page["job"]},
    )
