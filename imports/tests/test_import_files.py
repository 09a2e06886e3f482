"""What an import keeps of its file: nothing once refused or cancelled, the report's rows once
finished long enough ago; and the bomb through the opening import is refused at once."""

import datetime
import time

import pytest
from django.utils import timezone

from core.tests.bombs import padded_blank_rows_bomb
from imports import kinds, services, tasks
from imports.files import import_files_purge, import_report_rows
from imports.models import ImportJob
from loyalty.tests.test_opening_import import HEADERS, confirm_and_run, upload, xlsx
from members.models import Customer

BOMB = "File .xlsx này khi giải nén lớn bất thường"


def test_the_padded_bomb_through_the_opening_import_is_refused_at_once_as_a_bomb_and_not_kept(shop, owner):
    content = padded_blank_rows_bomb(tuple(HEADERS))

    started = time.process_time()
    job = upload(shop, owner, content)

    assert job.status == "refused" and BOMB in job.error  # it was "no rows below the headers"
    assert time.process_time() - started < 5  # it took 45 CPU-seconds; well under one now
    assert bytes(job.file_content) == b"" and job.file_size == len(content)


def test_a_refused_file_is_not_kept(shop, owner):
    job = upload(shop, owner, b"\x00random bytes, not a spreadsheet", name="rac.xlsx")

    assert job.status == "refused" and job.file_dropped_at
    assert bytes(ImportJob.objects.get(pk=job.pk).file_content) == b""


def test_a_file_whose_reading_failed_unexpectedly_is_refused_not_kept_and_cannot_be_resumed(
    shop, owner, owner_client, monkeypatch
):
    job = services.import_upload(shop=shop, actor=owner, ip=None, kind="opening", name="a.xlsx",
                                content=xlsx([["Mai", "0912345678", "", 1]]))  # fmt: skip
    monkeypatch.setattr(kinds.import_kind("opening"), "preview", lambda *args, **kwargs: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        tasks.analyse_import(job.pk)

    job.refresh_from_db()
    assert (job.status, bytes(job.file_content)) == ("refused", b"")
    page = owner_client.get(f"/members/imports/{job.pk}/").content.decode()
    assert "Đọc file bị lỗi ngoài dự kiến" in page and f"/members/imports/{job.pk}/resume/" not in page


def test_a_job_an_older_version_failed_before_anyone_confirmed_it_is_never_applied(shop, owner, owner_client):
    job = upload(shop, owner, xlsx([["Mai", "0912345678", "", 1]]))
    ImportJob.objects.filter(pk=job.pk).update(status="failed", confirmed_at=None)  # as the old reader left it

    owner_client.post(f"/members/imports/{job.pk}/resume/")

    job.refresh_from_db()
    assert job.status == "failed" and not Customer.objects.exists()


def test_a_cancelled_preview_drops_its_file(shop, owner, owner_client):
    job = upload(shop, owner, xlsx([["Mai", "0912345678", "", 1]]))

    owner_client.post(f"/members/imports/{job.pk}/cancel/")

    job.refresh_from_db()
    assert (job.status, bytes(job.file_content)) == ("cancelled", b"") and job.file_dropped_at


def test_refused_files_kept_from_before_are_dropped_by_the_purge(shop, owner):
    job = upload(shop, owner, b"junk", name="rac.xlsx")
    ImportJob.objects.filter(pk=job.pk).update(file_content=b"junk", file_dropped_at=None)  # as before the fix

    import_files_purge()

    assert bytes(ImportJob.objects.get(pk=job.pk).file_content) == b""


def test_a_finished_jobs_file_is_purged_after_the_days_set_and_its_report_still_lists_every_row(shop, owner, settings):
    settings.IMPORT_FILE_KEEP_DAYS = 30
    rows = [["Mai", "0912345678", "mai@example.vn", 1_500_000], ["Sai", "123", "", 1], ["Nam", "0382345678", "", 2]]
    old = confirm_and_run(upload(shop, owner, xlsx(rows)), owner)
    recent = confirm_and_run(upload(shop, owner, xlsx([["Lan", "0987654321", "", 5]])), owner)
    ImportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=31))
    ImportJob.objects.filter(pk=recent.pk).update(finished_at=timezone.now() - datetime.timedelta(days=29))
    header, total, before = import_report_rows(shop=shop, params={"job": old.pk})
    before = list(before)

    assert import_files_purge() == 1
    assert import_files_purge() == 0  # run again: nothing more

    old.refresh_from_db()
    recent.refresh_from_db()
    assert bytes(old.file_content) == b"" and old.file_dropped_at
    assert bytes(recent.file_content) != b"" and recent.file_dropped_at is None
    kept_header, kept_total, kept = import_report_rows(shop=shop, params={"job": old.pk})
    assert (kept_header, kept_total, list(kept)) == (header, total, before)
    assert [row[0] for row in before] == [2, 3, 4] and before[1][header.index("Kết quả")] == "Lỗi"


def test_a_file_whose_report_cannot_be_kept_stays_and_the_others_are_purged(shop, owner, settings, caplog):
    settings.IMPORT_FILE_KEEP_DAYS = 30
    broken = confirm_and_run(upload(shop, owner, xlsx([["Mai", "0912345678", "", 1]])), owner)
    fine = confirm_and_run(upload(shop, owner, xlsx([["Lan", "0987654321", "", 5]])), owner)
    ImportJob.objects.filter(pk__in=[broken.pk, fine.pk]).update(
        finished_at=timezone.now() - datetime.timedelta(days=31)
    )
    ImportJob.objects.filter(pk=broken.pk).update(file_content=b"no longer a spreadsheet")  # e.g. a stricter reader

    assert import_files_purge() == 1

    broken.refresh_from_db()
    fine.refresh_from_db()
    assert bytes(broken.file_content) == b"no longer a spreadsheet" and broken.file_dropped_at is None
    assert fine.file_dropped_at is not None
    assert f"The report of import {broken.pk} could not be kept" in caplog.text


def test_the_report_export_of_a_purged_job_is_built(shop, owner, owner_client, settings):
    from shops.exports import export_run
    from shops.models import ExportJob

    job = confirm_and_run(upload(shop, owner, xlsx([["Mai", "0912345678", "", 1]])), owner)
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - datetime.timedelta(days=400))
    import_files_purge()

    owner_client.post(f"/members/imports/{job.pk}/report/")
    export = ExportJob.objects.get()
    export_run(job_id=export.pk)

    export.refresh_from_db()
    assert export.status == "done" and export.row_count == 1


def test_an_empty_file_on_the_opening_import_says_what_is_wrong_and_what_to_do_next_to_the_field(owner_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = owner_client.post("/members/opening-balances/", {"file": SimpleUploadedFile("dau-ky.xlsx", b"")})

    page = response.content.decode()
    error = page[page.index('id="upload-error"') :]
    assert error[: error.index("</span>")].endswith(
        "File bạn chọn không có dữ liệu (0 byte): hãy mở file bằng Excel, kiểm tra dữ liệu đã có trong đó, lưu lại "
        "rồi chọn lại file."
    )
    assert "Tập tin được gửi là rỗng" not in page and not ImportJob.objects.exists()


def test_a_preview_never_confirmed_is_cancelled_after_the_days_set_and_its_file_dropped(shop, owner, settings):
    settings.IMPORT_FILE_KEEP_DAYS = 30
    stale = upload(shop, owner, xlsx([["Mai", "0912345678", "", 1]]))
    fresh = upload(shop, owner, xlsx([["Lan", "0987654321", "", 1]]))
    ImportJob.objects.filter(pk=stale.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))

    import_files_purge()

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, bytes(stale.file_content)) == ("cancelled", b"")
    assert fresh.status == "ready" and bytes(fresh.file_content)
