import uuid

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.formatting import format_int
from core.http import client_ip
from core.pagination import CappedPaginator
from core.spreadsheets import SpreadsheetError
from core.text import without_marks
from imports.models import ImportJob
from imports.phone_lists import GroupBusy, group_delete_with_lists
from imports.selectors import group_phone_lists
from imports.services import import_upload
from loyalty import membership
from loyalty.forms import PointsAdjustForm
from loyalty.services import AdjustmentError, points_adjust
from members import services
from members.forms import (
    AddToGroupForm,
    CustomerContactForm,
    CustomerFilterForm,
    GroupCreateForm,
    GroupRulesForm,
    PhoneListForm,
)
from members.models import Customer, CustomerGroup
from members.pages import member_detail_page, member_list_page
from members.phones import format_phone_national
from members.selectors import CustomerFilters, customer_filter, group_list, group_members
from messaging.forms import MessageForm
from messaging.models import Message
from messaging.services import message_queue
from shops.decorators import shop_member_required
from shops.exports import export_request
from shops.models import User

PAGE_SIZE = 50


@shop_member_required
def member_list_view(request):
    form = CustomerFilterForm(request.GET or None, shop=request.shop)
    filters, sort = form.filters(), form.sort_order()
    page = member_list_page(
        shop=request.shop, filters=filters, sort=sort, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "members/list.html",
        {"form": form, "query": query.urlencode(), "sort_query": sort_query.urlencode(), "sort": sort, **page},
    )


def _filter_params(request) -> tuple[dict, str] | None:
    form = CustomerFilterForm(request.POST, shop=request.shop)
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
        required_role=User.Role.STAFF,
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
    membership.members_activate_filtered_request(
        shop=request.shop, actor=request.user, params=params, ip=client_ip(request)
    )
    messages.success(
        request, _("The customers in this list are being made members in the background; reload in a moment.")
    )
    return redirect(f"{reverse('members:list')}?{urlencode(params)}")


@shop_member_required
def member_detail_view(request, pk: int):
    customer = get_object_or_404(Customer.objects.for_shop(request.shop), pk=pk)
    form = _contact_form(customer, request.POST or None)
    if request.method == "POST" and form.is_valid():
        changed = services.customer_update_contact(
            shop=request.shop, actor=request.user, customer=customer, ip=client_ip(request), **form.cleaned_data
        )
        messages.success(request, _("Saved.") if changed else _("Nothing changed."))
        return redirect("members:detail", pk=customer.pk)
    return _detail_page(request, customer, form=form)


def _contact_form(customer: Customer, data=None) -> CustomerContactForm:
    initial = {name: getattr(customer, name) for name in CustomerContactForm.base_fields}
    initial["phone"] = format_phone_national(customer.phone)
    return CustomerContactForm(data, customer=customer, initial=initial)


def _detail_page(request, customer: Customer, *, form=None, message_form=None, adjust_form=None):
    """The member page; ``message_form`` or ``adjust_form`` bound when it was refused, so
    nothing typed is lost and each error shows beside its field."""
    if message_form is None:
        channel = Message.Channel.EMAIL if customer.email and customer.accepts_email else Message.Channel.SMS
        message_form = MessageForm(initial={"channel": channel, "request_key": uuid.uuid4().hex})
    return render(
        request,
        "members/detail.html",
        {
            **member_detail_page(shop=request.shop, customer=customer),
            "form": form or _contact_form(customer),
            "adjust_form": adjust_form or PointsAdjustForm(initial={"request_key": uuid.uuid4().hex}),
            "message_form": message_form,
            "redeem_key": uuid.uuid4().hex,
        },
    )


@shop_member_required
@require_POST
def member_message_view(request, pk: int):
    customer = get_object_or_404(Customer.objects.for_shop(request.shop), pk=pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, customer, message_form=form)
    data = form.cleaned_data
    body = (
        without_marks(data["body"])
        if data["channel"] == Message.Channel.SMS and data["without_marks"]
        else data["body"]
    )
    queued = message_queue(
        shop=request.shop,
        customer=customer,
        channel=data["channel"],
        source=f"manual:{data['request_key']}",
        source_label=_("Sent from the member page"),
        subject=data["subject"],
        body=body,
        actor=request.user,
        ip=client_ip(request),
    )
    message = queued.message
    if not queued.created:
        messages.info(request, _("This message was already submitted; it is not sent twice."))
    elif message.status == Message.Status.SKIPPED:
        messages.error(request, message.error)
    else:
        messages.success(request, _("The message is on its way; its status is shown below."))
    return redirect(reverse("members:detail", args=[customer.pk]) + "#messages")


@shop_member_required
@require_POST
def member_activate_view(request, pk: int):
    customer = get_object_or_404(Customer.objects.for_shop(request.shop), pk=pk)
    count = membership.members_activate(
        shop=request.shop, actor=request.user, customer_ids=[customer.pk], ip=client_ip(request)
    )
    messages.success(
        request,
        ngettext("%(count)d customer became a member.", "%(count)d customers became members.", count) % {"count": count}
        if count
        else _("This customer is already a member."),
    )
    return redirect("members:detail", pk=customer.pk)


# Groups --------------------------------------------------------------------------------------


@shop_member_required
def group_list_view(request):
    form = GroupCreateForm(request.POST or None, shop=request.shop)
    if request.method == "POST" and form.is_valid():
        group = services.group_create(shop=request.shop, **form.cleaned_data)
        return redirect("members:group", pk=group.pk)
    return render(request, "members/groups.html", {"form": form, "groups": group_list(shop=request.shop)})


@shop_member_required
def group_detail_view(request, pk: int):
    group = get_object_or_404(CustomerGroup.objects.for_shop(request.shop), pk=pk)
    rules_form = None
    if group.kind == CustomerGroup.Kind.RULES:
        initial = {"name": group.name, **group.rules}
        rules_form = GroupRulesForm(request.POST or None, shop=request.shop, group=group, initial=initial)
        if request.method == "POST" and rules_form.is_valid():
            services.group_update(group=group, name=rules_form.cleaned_data["name"], rules=rules_form.rules())
            messages.success(request, _("Saved."))
            return redirect("members:group", pk=group.pk)
    return _group_page(request, group, rules_form=rules_form, upload_form=PhoneListForm())


def _group_page(request, group: CustomerGroup, *, rules_form, upload_form, status: int = 200):
    customers = group_members(group=group).order_by("-pk").only("pk", "name", "phone", "member_since", "total_spent")
    page = CappedPaginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    uploads = group_phone_lists(shop=request.shop, group=group) if rules_form is None else []
    return render(
        request,
        "members/group.html",
        {
            "group": group,
            "rules_form": rules_form,
            "page": page,
            "upload_form": upload_form,
            "uploads": uploads,
            "size": customers.count() if rules_form else None,
        },
        status=status,
    )


@shop_member_required
def group_delete_view(request, pk: int):
    """A page that asks first (it works without JavaScript); the POST deletes."""
    group = get_object_or_404(CustomerGroup.objects.for_shop(request.shop), pk=pk)
    if request.method == "POST":
        try:
            size = group_delete_with_lists(shop=request.shop, actor=request.user, group=group, ip=client_ip(request))
        except GroupBusy as error:
            messages.error(request, str(error))
            return redirect("members:group", pk=group.pk)
        messages.success(
            request,
            ngettext(
                "Group %(group)s deleted; its %(count)s customer stays in the member list.",
                "Group %(group)s deleted; its %(count)s customers stay in the member list.",
                size,
            )
            % {"group": group.name, "count": format_int(size)},
        )
        return redirect("members:groups")
    return render(request, "members/group_delete.html", {"group": group, "size": group_members(group=group).count()})


@shop_member_required
def group_count_view(request):
    """The live count beside a rule group's conditions while they are edited."""
    form = GroupRulesForm(request.GET, shop=request.shop)
    form.is_valid()  # the name may clash; the count does not care
    if any(name != "name" for name in form.errors):
        return JsonResponse({"count": None, "error": " ".join(m for e in form.errors.values() for m in e)})
    filters = CustomerFilters.from_params({k: v for k, v in form.cleaned_data.items() if k != "name"})
    count = customer_filter(shop=request.shop, filters=filters).count()
    label = ngettext("%(count)s customer", "%(count)s customers", count) % {"count": format_int(count)}
    return JsonResponse({"count": count, "label": label})


@shop_member_required
@require_POST
def group_upload_view(request, pk: int):
    """The list goes to a worker, like every import: nothing in it is read here."""
    group = get_object_or_404(CustomerGroup.objects.for_shop(request.shop), pk=pk, kind=CustomerGroup.Kind.STATIC)
    form = PhoneListForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_upload(
                shop=request.shop,
                actor=request.user,
                ip=client_ip(request),
                kind=ImportJob.Kind.PHONE_LIST,
                name=upload.name,
                content=upload,  # a file: copied in chunks, never read whole
                group=group,
            )
        except SpreadsheetError as error:
            form.add_error("file", str(error))
        else:
            return redirect("imports:job", pk=job.pk)
    return _group_page(request, group, rules_form=None, upload_form=form, status=400)


@shop_member_required
@require_POST
def group_remove_view(request, pk: int, customer_id: int):
    group = get_object_or_404(CustomerGroup.objects.for_shop(request.shop), pk=pk, kind=CustomerGroup.Kind.STATIC)
    services.group_remove_customer(group=group, customer_id=customer_id)
    messages.success(request, _("Removed from the group."))
    return redirect("members:group", pk=group.pk)


@shop_member_required
@require_POST
def group_add_filtered_view(request):
    form = AddToGroupForm(request.POST, shop=request.shop)
    if not form.is_valid():
        messages.error(request, _("Choose a static group to add these customers to."))
        return redirect("members:list")
    group = form.cleaned_data["target"]
    ids = customer_filter(shop=request.shop, filters=form.filters()).values_list("pk", flat=True)
    added = services.group_add_customers(group=group, customer_ids=ids.iterator(chunk_size=5000))
    messages.success(
        request,
        ngettext("%(count)d customer added to %(group)s.", "%(count)d customers added to %(group)s.", added)
        % {"count": added, "group": group.name},
    )
    return redirect("members:group", pk=group.pk)


@shop_member_required
@require_POST
def member_points_view(request, pk: int):
    customer = get_object_or_404(Customer.objects.for_shop(request.shop), pk=pk)
    form = PointsAdjustForm(request.POST)
    if form.is_valid():
        try:
            done = points_adjust(shop=request.shop, actor=request.user, customer_id=customer.pk,
                                 ip=client_ip(request), **form.cleaned_data)  # fmt: skip
        except AdjustmentError as error:
            # The service's refusals are all about the number (zero, or below the balance).
            form.add_error("points", str(error))
        else:
            messages.success(request, _("Points adjusted.") if done else _("This adjustment was already saved."))
            return redirect("members:detail", pk=customer.pk)
    return _detail_page(request, customer, adjust_form=form)
