"""What a kind of import is: its template's columns, how a row is read, what a batch of
rows would do (the preview) and how it is applied. The kinds live beside their domain and
register themselves from their app's ``ready`` (opening balances in ``loyalty.opening``,
point adjustments in ``loyalty.bulk_adjustments``, a group's phone list in
``imports.phone_lists``); the engine (``imports.services``) does the rest the same way for
every kind."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from core.spreadsheets import SpreadsheetError
from imports.models import ImportJob
from shops.models import ActivityKind, Shop

ERROR = "error"


class RowError(ValueError):
    """A row that cannot go in as it is; the message says what to fix."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it
    cells: dict[str, Any]  # by template header
    key: str = ""  # what may appear once per file (a normalised phone)
    value: Any = None  # what the kind read from the row
    error: str = ""


@dataclass
class Outcome:
    code: str
    reason: str = ""
    flag: str = ""  # what staff should check before confirming, though the row goes in


@dataclass
class ImportKind:
    """What one kind of import knows; the methods below are overridden per kind."""

    code: str
    title: Any  # lazy translation
    headers: tuple[str, ...]
    example: tuple
    text_columns: tuple[str, ...] = ()
    # A key repeated in one file is an error on each of its rows.
    unique_keys: bool = True
    # Outcomes listed on the preview page (the rows that will not go in as written).
    problem_codes: tuple[str, ...] = (ERROR,)
    outcome_labels: dict[str, Any] = field(default_factory=dict)
    # What the preview says before anything is applied, where the outcome's label speaks
    # of it as done ("Adjustment applied" would claim what has not happened yet).
    preview_labels: dict[str, Any] = field(default_factory=dict)
    activity_kind: ActivityKind = ActivityKind.DATA_IMPORT
    # The page where this kind of import starts (a URL name), and what it says first.
    start_url: str = ""
    intro: tuple = ()
    template_name: str = "template.xlsx"
    template_url: str = ""
    # Whether staff (not only owners) may upload and confirm this kind (a group's phone list).
    staff_allowed: bool = False

    def columns(self, cells: Sequence[Any]) -> tuple[dict[str, int], bool]:
        """Where each header's column is, from the sheet's first row with a value, and
        whether that row is the headers (a kind without a template may take it as data)."""
        return _header_map(self, cells), True

    def start_path(self, job: ImportJob) -> str:
        """The page the job was started from, where its page leads back to."""
        return reverse(self.start_url)

    def start_title(self, job: ImportJob) -> str:
        return str(self.title)

    # The cells a row is read from that the preview shows as read, (header, form), form
    # being "phone", "vnd" or "int" (imports.rows): "0168 123 4567" as "038 123 4567".
    read_columns: tuple[tuple[str, str], ...] = ()

    def read_values(self, row: Row) -> tuple:
        """What a well-formed row was read as, in the order of ``read_columns``: plain
        values (a phone in E.164, an int) that the page and the report format."""
        return ()

    def read(self, shop: Shop, cells: dict[str, Any]) -> tuple[str, Any]:
        """(key, value) of one row, or RowError."""
        raise NotImplementedError

    def complete(self, value: Any) -> Any:
        """A well-formed row's value with what only applying it needs (a preview does
        without), added as the commit reads the row: in the thread that reads ahead."""
        return value

    def preview(self, shop: Shop, rows: list[Row]) -> list[Outcome]:
        """What applying these (well-formed) rows would do, without writing."""
        raise NotImplementedError

    def apply(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        """Apply the rows, inside the batch's transaction; a repeat must change nothing."""
        raise NotImplementedError

    def result(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        """What became of these rows in this (finished) job, for the report."""
        raise NotImplementedError

    def finish(self, job: ImportJob) -> None:
        """After the last batch (e.g. a summary for the activity log)."""

    def label(self, code: str, *, applied: bool = True) -> str:
        if not applied and code in self.preview_labels:
            return str(self.preview_labels[code])
        return str(self.outcome_labels.get(code, code))


KINDS: dict[str, ImportKind] = {}


def register_import(kind: ImportKind) -> None:
    KINDS[kind.code] = kind


def import_kind(code: str) -> ImportKind:
    return KINDS[code]


def _header_map(kind: ImportKind, cells: Sequence[Any]) -> dict[str, int]:
    found = {str(cell).strip().lstrip("\ufeff").casefold(): index for index, cell in enumerate(cells) if cell != ""}
    missing = [header for header in kind.headers if header.casefold() not in found]
    if missing:
        written = ", ".join(str(cell).strip() for cell in cells if str(cell).strip()) or "—"
        raise SpreadsheetError(
            _(
                "The first row must hold the column names %(expected)s; missing: %(missing)s (the file has: "
                "%(written)s). Download the template and copy your data into it."
            )
            % {"expected": ", ".join(kind.headers), "missing": ", ".join(missing), "written": written}
        )
    return {header: found[header.casefold()] for header in kind.headers}


def counts_text(kind: ImportKind, counts: dict[str, int]) -> str:
    return ", ".join(f"{kind.label(code)}: {count}" for code, count in sorted(counts.items()) if count)
