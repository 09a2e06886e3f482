from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from members import services
from members.forms import CustomerContactForm, CustomerFilterForm
from members.models import Customer
from members.phones import format_phone_national
from members.selectors import customer_list
from members.tasks import activate_filtered
from shops.decorators import shop_member_required
from shops.exports import export_request
from shops.models import ActivityEntry
from shops.services import client_ip

PAGE_SIZE = 50


@shop_member_required
def member_list_view(request):
    form = CustomerFilterForm(request.GET or None)
    filters, sort = form.filters(), form.sort_order()
    customers = customer_list(shop=request.shop, filters=filters, sort=sort)
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "members/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "sort": sort,
        },
    )


def _filter_params(request) -> tuple[dict, str] | None:
    form = CustomerFilterForm(request.POST)
    if not form.is_valid():
        return None
    return form.filters().to_params(), form.sort_order()


@shop_member_required
@require_POST
def member_export_view(request):
    chosen = _filter_params(request)
    if chosen is None:
        messages.error(request, _("Fix the filter before exporting."))
        return redirect("members:list")
    params, sort = chosen
    job = export_request(
        shop=request.shop,
        actor=request.user,
        ip=client_ip(request),
        kind="members",
        params={"filters": params, "sort": sort},
    )
    return redirect("shops:export", pk=job.pk)


@shop_member_required
@require_POST
def member_activate_all_view(request):
    chosen = _filter_params(request)
    if chosen is None:
        messages.error(request, _("Fix the filter first."))
        return redirect("members:list")
    params, _sort = chosen
    shop_id, actor_id, ip = request.shop.pk, request.user.pk, client_ip(request)
    transaction.on_commit(lambda: activate_filtered.delay(shop_id, actor_id, params, ip))
    messages.success(
        request, _("The customers in this list are being made members in the background; reload in a moment.")
    )
    return redirect(f"{reverse('members:list')}?{urlencode(params)}")


@shop_member_required
def member_detail_view(request, pk: int):
    customer = get_object_or_404(Customer.objects.for_shop(request.shop), pk=pk)
    initial = {name: getattr(customer, name) for name in CustomerContactForm.base_fields}
    initial["phone"] = format_phone_national(customer.phone)
    form = CustomerContactForm(request.POST or None, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = services.customer_update_contact(
            shop=request.shop, actor=request.user, customer=customer, ip=client_ip(request), **form.cleaned_data
        )
        messages.success(request, _("Saved.") if changed else _("Nothing changed."))
        return redirect("members:detail", pk=customer.pk)
    orders = customer.orders.order_by("-created_at")[:100]
    activity = ActivityEntry.objects.for_shop(request.shop).filter(target_type="customer", target_id=str(customer.pk))
    return render(
        request,
        "members/detail.html",
        {"customer": customer, "form": form, "orders": orders, "activity": activity.select_related("actor")[:50]},
    )


@shop_member_required
@require_POST
def member_activate_view(request, pk: int):
    customer = get_object_or_404(Customer.objects.for_shop(request.shop), pk=pk)
    count = services.members_activate(
        shop=request.shop, actor=request.user, customer_ids=[customer.pk], ip=client_ip(request)
    )
    messages.success(
        request,
        ngettext("%(count)d customer became a member.", "%(count)d customers became members.", count) % {"count": count}
        if count
        else _("This customer is already a member."),
    )
    return redirect("members:detail", pk=customer.pk)
