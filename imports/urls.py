"""The import pages, at the addresses they had before the imports app: a kind's start page
where its menu item is (opening balances among the members' pages, point adjustments in
the loyalty settings), and every job under /members/imports/."""

from django.urls import path

from imports import views

app_name = "imports"


def _start_pages(address: str, kind: str, name: str) -> list:
    """A kind's start page and the download of its template."""
    return [
        path(address, views.import_start_view, {"kind": kind}, name=name),
        path(f"{address}template.xlsx", views.import_template_view, {"kind": kind}, name=f"{name}_template"),
    ]


urlpatterns = [
    *_start_pages("members/opening-balances/", "opening", "opening"),
    *_start_pages("settings/loyalty/adjustments/", "points", "adjustments"),
    path("members/imports/<int:pk>/", views.import_view, name="job"),
    path("members/imports/<int:pk>/status/", views.import_status_view, name="status"),
    path("members/imports/<int:pk>/confirm/", views.import_confirm_view, name="confirm"),
    path("members/imports/<int:pk>/cancel/", views.import_cancel_view, name="cancel"),
    path("members/imports/<int:pk>/resume/", views.import_resume_view, name="resume"),
    path("members/imports/<int:pk>/report/", views.import_report_view, name="report"),
]
