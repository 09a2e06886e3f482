"""The pages of every spreadsheet import: start (explanation, template, upload, earlier
imports), the job (reading, preview and confirm, progress, result) and its report."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.http import client_ip
from core.spreadsheets import EMPTY_FILE, SpreadsheetError
from core.xlsx import XLSX_CONTENT_TYPE
from imports import report, selectors, services
from imports.kinds import import_kind
from imports.models import ImportJob
from shops.decorators import owner_required, shop_member_required
from shops.exports import export_request
from shops.models import User


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (.xlsx or .csv)"),
        error_messages={"required": gettext_lazy("Choose the file to upload."), "empty": EMPTY_FILE},
    )


@owner_required
def import_start_view(request, kind: str):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_upload(
                shop=request.shop,
                actor=request.user,
                ip=client_ip(request),
                kind=kind,
                name=upload.name,
                content=upload,  # a file: copied in chunks, never read whole
            )
        except SpreadsheetError as error:
            form.add_error("file", str(error))
        else:
            return redirect("imports:job", pk=job.pk)
    page = selectors.import_start_page(shop=request.shop, kind=kind)
    return render(request, "imports/start.html", {**page, "form": form})


@owner_required
def import_template_view(request, kind: str):
    found = import_kind(kind)
    response = HttpResponse(report.template_xlsx(found), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{found.template_name}"'
    return response


def _job(request, pk: int) -> ImportJob:
    """The shop's job, if this person may see its kind (staff: a group's phone list only)."""
    job = selectors.import_job_get(shop=request.shop, pk=pk)
    if not request.user.is_owner and not import_kind(job.kind).staff_allowed:
        raise PermissionDenied
    return job


def _row_number(value: str | None) -> int | None:
    """A row number from the page's address; anything else is no number (the first page)."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None


@shop_member_required
def import_view(request, pk: int):
    job = _job(request, pk)
    page = selectors.import_job_page(
        job=job,
        show=request.GET.get("show", ""),
        after=_row_number(request.GET.get("after")) or 0,
        before=_row_number(request.GET.get("before")),
    )
    request.menu_path = page["back_url"]  # the menu marks where the import began
    return render(request, "imports/job.html", page)


@shop_member_required
def import_status_view(request, pk: int):
    """What the progress bar polls."""
    return JsonResponse(selectors.import_status(job=_job(request, pk)))


@shop_member_required
@require_POST
def import_confirm_view(request, pk: int):
    job = _job(request, pk)
    try:
        services.import_confirm(job=job, actor=request.user, ip=client_ip(request))
    except services.ImportStateError as error:
        messages.error(request, str(error))
    return redirect("imports:job", pk=job.pk)


@shop_member_required
@require_POST
def import_cancel_view(request, pk: int):
    job = _job(request, pk)
    if services.import_cancel(job=job):
        messages.success(request, _("The import was cancelled; nothing was written."))
    return redirect(import_kind(job.kind).start_path(job))


@shop_member_required
@require_POST
def import_resume_view(request, pk: int):
    job = _job(request, pk)
    if services.import_resume(job=job):
        messages.success(request, _("The import goes on after the last rows it saved."))
    return redirect("imports:job", pk=job.pk)


@shop_member_required
@require_POST
def import_report_view(request, pk: int):
    job = _job(request, pk)
    # The report is read by whoever may read the job: staff for their phone lists.
    staff_allowed = import_kind(job.kind).staff_allowed
    export = export_request(
        shop=request.shop,
        actor=request.user,
        ip=client_ip(request),
        kind="import_report",
        params={"job": job.pk},
        required_role=User.Role.STAFF if staff_allowed else User.Role.OWNER,
    )
    return redirect("shops:export", pk=export.pk)
