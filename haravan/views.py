from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.http import client_ip
from haravan import selectors, services
from haravan.forms import ConnectionForm
from haravan.models import HaravanConnection, SyncJob
from shops.decorators import owner_required


@owner_required
def connection_view(request):
    form = ConnectionForm(request.POST) if request.POST else None
    if form is not None and form.is_valid():
        changed = services.connection_update(
            shop=request.shop, actor=request.user, ip=client_ip(request), **form.cleaned_data
        )
        messages.success(request, _("Settings saved.") if changed else _("Nothing changed."))
        return redirect("haravan:connection")
    page = selectors.connection_page(request.shop, origin=request.build_absolute_uri("/").rstrip("/"))
    if form is None:
        connection = page["connection"]
        form = ConnectionForm(initial={"store_name": connection.store_name, "client_id": connection.client_id})
    return render(request, "haravan/connection.html", {"form": form, **page})


@owner_required
@require_POST
def check_view(request):
    services.connection_check_request(shop=request.shop)
    return redirect("haravan:connection")


@owner_required
@require_POST
def sync_start_view(request):
    try:
        job = services.sync_start(shop=request.shop, kind=SyncJob.Kind.FULL, actor=request.user, ip=client_ip(request))
    except services.SyncError as error:
        messages.error(request, str(error))
        return redirect("haravan:connection")
    return redirect("haravan:sync", pk=job.pk)


@owner_required
def sync_view(request, pk: int):
    page = selectors.sync_page(request.shop, job_id=pk)
    if page is None:
        raise Http404
    return render(request, "haravan/sync.html", page)


@owner_required
@require_POST
def sync_resume_view(request, pk: int):
    get_object_or_404(SyncJob.objects.for_shop(request.shop), pk=pk)
    try:
        job = services.sync_resume(shop=request.shop, job_id=pk, actor=request.user, ip=client_ip(request))
    except services.SyncError as error:
        messages.error(request, str(error))
        return redirect("haravan:sync", pk=pk)
    return redirect("haravan:sync", pk=job.pk)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook_view(request, key: str):
    """Haravan's endpoint for one shop: the subscription handshake (GET) and events (POST)."""
    fields = ("pk", "shop_id", "org_id", "client_secret", "webhook_verify_token")
    connection = HaravanConnection.objects.filter(webhook_key=key).only(*fields).first()
    if connection is None:
        raise Http404
    if request.method == "GET":
        if request.GET.get("hub.mode") == "subscribe" and constant_time_compare(
            request.GET.get("hub.verify_token", ""), connection.webhook_verify_token
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponse("verify_token does not match", status=403, content_type="text/plain")
    try:
        body = request.body
    except RequestDataTooBig:
        # Django would answer its HTML 400 page; a sender is owed a plain "too large". Nothing
        # of it was read, so no signature was checked and nothing is written.
        return HttpResponse("request body too large", status=413, content_type="text/plain")
    outcome = services.webhook_receive(
        connection=connection,
        topic=request.headers.get("X-Haravan-Topic", ""),
        org_id=request.headers.get("X-Haravan-Org-Id", ""),
        signature=request.headers.get("X-Haravan-HmacSha256", ""),
        body=body,
    )
    return HttpResponse(outcome.note or "ok", status=outcome.status, content_type="text/plain")
