"""The pages of every spreadsheet import: start (explanation, template, upload, earlier
imports), the job (reading, preview and confirm, progress, result) and its report."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.http import client_ip
from core.spreadsheets import EMPTY_FILE, SpreadsheetError
from core.xlsx import XLSX_CONTENT_TYPE
from members import import_report, import_rows, imports
from members.models import ImportJob
from shops.decorators import owner_required, shop_member_required
from shops.exports import export_request
from shops.models import User

RECENT_JOBS = 20
STALLED_AFTER = datetime.timedelta(minutes=5)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (.xlsx or .csv)"),
        error_messages={"required": gettext_lazy("Choose the file to upload."), "empty": EMPTY_FILE},
    )


@owner_required
def import_start_view(request, kind: str):
    import_kind = imports.import_kind(kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.import_upload(
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
            return redirect("members:import", pk=job.pk)
    jobs = (
        ImportJob.objects.for_shop(request.shop)
        .filter(kind=kind)
        .exclude(status=ImportJob.Status.CANCELLED)
        .select_related("uploaded_by")
        .defer("file_content", "report_content")[:RECENT_JOBS]
    )
    return render(request, "members/import_start.html", {"kind": import_kind, "form": form, "jobs": jobs})


@owner_required
def import_template_view(request, kind: str):
    import_kind = imports.import_kind(kind)
    response = HttpResponse(import_report.template_xlsx(import_kind), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{import_kind.template_name}"'
    return response


def _job(request, pk: int) -> ImportJob:
    """The shop's job, if this person may see its kind (staff: a group's phone list only)."""
    jobs = ImportJob.objects.for_shop(request.shop).select_related("group").defer("file_content", "report_content")
    job = get_object_or_404(jobs, pk=pk)
    if not request.user.is_owner and not imports.import_kind(job.kind).staff_allowed:
        raise PermissionDenied
    return job


def _outcome_rows(import_kind, counts: dict, *, applied: bool = True) -> list[tuple[str, str, int]]:
    return [
        (code, import_kind.label(code, applied=applied), counts.get(code, 0)) for code in import_kind.outcome_labels
    ]


def _row_number(value: str | None) -> int | None:
    """A row number from the page's address; anything else is no number (the first page)."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None


@shop_member_required
def import_view(request, pk: int):
    job = _job(request, pk)
    import_kind = imports.import_kind(job.kind)
    request.menu_path = import_kind.start_path(job)  # the menu marks where the import began
    rows = None
    if job.status == ImportJob.Status.READY:
        rows = import_rows.preview_page(
            job=job,
            kind=import_kind,
            shown=request.GET.get("show", ""),
            after=_row_number(request.GET.get("after")) or 0,
            before=_row_number(request.GET.get("before")),
        )
    return render(
        request,
        "members/import_job.html",
        {
            "job": job,
            "kind": import_kind,
            "back_url": import_kind.start_path(job),
            "back_title": import_kind.start_title(job),
            "preview": _outcome_rows(import_kind, job.preview, applied=False),
            "counts": _outcome_rows(import_kind, job.counts),
            "rows": rows,
            "flagged": import_rows.FLAGGED,
            "page_size": import_rows.PAGE_SIZE,
            "same_file": ImportJob.objects.for_shop(request.shop)
            .filter(
                kind=job.kind,
                file_sha256=job.file_sha256,
                status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.DONE],
            )
            .exclude(pk=job.pk)
            .defer("file_content", "report_content")
            .first()
            if job.status == ImportJob.Status.READY
            else None,
            "stalled": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
            and (job.progressed_at or job.confirmed_at or job.created_at) < timezone.now() - STALLED_AFTER,
        },
    )


@shop_member_required
def import_status_view(request, pk: int):
    """What the progress bar polls."""
    job = _job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
            "seconds_left": job.seconds_left,
        }
    )


@shop_member_required
@require_POST
def import_confirm_view(request, pk: int):
    job = _job(request, pk)
    try:
        imports.import_confirm(job=job, actor=request.user, ip=client_ip(request))
    except imports.ImportStateError as error:
        messages.error(request, str(error))
    return redirect("members:import", pk=job.pk)


@shop_member_required
@require_POST
def import_cancel_view(request, pk: int):
    job = _job(request, pk)
    if imports.import_cancel(job=job):
        messages.success(request, _("The import was cancelled; nothing was written."))
    return redirect(imports.import_kind(job.kind).start_path(job))


@shop_member_required
@require_POST
def import_resume_view(request, pk: int):
    job = _job(request, pk)
    if imports.import_resume(job=job):
        messages.success(request, _("The import goes on after the last rows it saved."))
    return redirect("members:import", pk=job.pk)


@shop_member_required
@require_POST
def import_report_view(request, pk: int):
    job = _job(request, pk)
    # The report is read by whoever may read the job: staff for their phone lists.
    staff_allowed = imports.import_kind(job.kind).staff_allowed
    export = export_request(
        shop=request.shop,
        actor=request.user,
        ip=client_ip(request),
        kind="import_report",
        params={"job": job.pk},
        required_role=User.Role.STAFF if staff_allowed else User.Role.OWNER,
    )
    return redirect("shops:export", pk=export.pk)
