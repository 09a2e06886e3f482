"""The import engine's rows: a job per uploaded file, and the rows its preview read.

Both were made by the members app, before the import engine had one of its own: they keep
their tables (``members_importjob``, ``members_importrow``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shops.models import ShopOwned


class ImportJob(ShopOwned):
    """An uploaded spreadsheet on its way in: read and previewed by a worker (nothing
    written but this row), confirmed by staff, then applied by a worker in batches. The
    cursor (the last spreadsheet row applied) commits with each batch, so a job whose
    worker died goes on where it stopped. The file is kept here so any host can read it."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening balances")
        POINTS = "points", _("Point adjustments")
        PHONE_LIST = "phones", _("Phone list for a group")

    class Status(models.TextChoices):
        ANALYSING = "analysing", _("Reading the file")
        READY = "ready", _("Waiting for your confirmation")
        REFUSED = "refused", _("File refused")
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ANALYSING)
    file_name = models.CharField(_("file"), max_length=255)
    file_content = models.BinaryField(editable=False)
    file_size = models.PositiveIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64)
    rows_total = models.PositiveIntegerField(default=0)
    # Outcome -> rows: predicted by the preview, then counted as the rows are applied.
    preview = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    # The first rows that will not go in as they are (errors, skips), for the preview page.
    problems = models.JSONField(default=list, blank=True)
    # Keys (phones) found on more than one row, with those rows: errors, kept by the analysis.
    repeated_keys = models.JSONField(default=dict, blank=True)
    # Rows read well but refused when applied (e.g. a deduction below zero): row -> reason.
    apply_errors = models.JSONField(default=dict, blank=True)
    # When the file was deleted (refused, cancelled, or finished IMPORT_FILE_KEEP_DAYS ago);
    # a finished job's report is then read from report_content, its rows kept compressed.
    file_dropped_at = models.DateTimeField(null=True, blank=True)
    report_content = models.BinaryField(default=b"", editable=False)
    # A phone list's static group: the customers its phones match go into it.
    # A phone list's group; a list stays in the history when its group is deleted (which
    # waits for a list being read or added: see imports.phone_lists.group_delete_with_lists).
    group = models.ForeignKey(
        "members.CustomerGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rows_done = models.PositiveIntegerField(default=0)
    cursor = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "members_importjob"  # where it was made, before the imports app
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "kind", "-created_at"], name="import_job_shop_kind")]

    def __str__(self) -> str:
        return f"{self.kind} import #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(self.rows_done * 100 / self.rows_total)) if self.rows_total else 0

    @property
    def seconds_left(self) -> int | None:
        """From the pace so far; None until there is a pace to go by."""
        if self.status != self.Status.RUNNING or not self.started_at or not self.rows_done:
            return None
        elapsed = ((self.progressed_at or timezone.now()) - self.started_at).total_seconds()
        return max(0, round(elapsed / self.rows_done * (self.rows_total - self.rows_done)))


class ImportRow(models.Model):
    """One row of a file as the preview read it, for the preview's pages: every row, paged
    and filtered by outcome, before anything is confirmed. Written by the analysis, dropped
    once the job is confirmed or cancelled (the report reads the file). Reached only
    through its job, which is the shop's.

    Kept small, since a file may have a million rows: the primary key (job, outcome, row)
    is the only index but for the few flagged rows (a page of one outcome reads it in
    order; every row is a merge of the outcomes' pages), and the cells are one text each."""

    pk = models.CompositePrimaryKey("job", "outcome", "number")
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    outcome = models.CharField(max_length=16)
    number = models.PositiveIntegerField()  # as the spreadsheet shows it
    # The cells as typed, in the template's order, then what the kind read from them in the
    # order of its ``read_columns`` (e.g. the phone in E.164, the amount): joined by SEPARATOR.
    cells = models.TextField()
    read = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    # What staff should look at before confirming (a name unlike the matched customer's).
    flag = models.TextField(blank=True)

    SEPARATOR = "\x1f"  # ASCII's unit separator: no cell a person types holds one

    class Meta:
        db_table = "members_importrow"
        indexes = [models.Index(fields=["job", "number"], condition=~models.Q(flag=""), name="import_row_flagged")]

    def __str__(self) -> str:
        return f"row {self.number} of import #{self.job_id} ({self.outcome})"
