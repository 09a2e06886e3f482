"""The import pages, at the addresses they had before the imports app: a kind's start page
where its menu item is (opening balances among the members' pages, point adjustments in
the loyalty settings), and every job under /members/imports/."""

from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("members/opening-balances/", views.import_start_view, {"kind": "opening"}, name="opening"),
    path(
        "members/opening-balances/template.xlsx",
        views.import_template_view,
        {"kind": "opening"},
        name="opening_template",
    ),
    path("settings/loyalty/adjustments/", views.import_start_view, {"kind": "points"}, name="adjustments"),
    path(
        "settings/loyalty/adjustments/template.xlsx",
        views.import_template_view,
        {"kind": "points"},
        name="adjustments_template",
    ),
    path("members/imports/<int:pk>/", views.import_view, name="job"),
    path("members/imports/<int:pk>/status/", views.import_status_view, name="status"),
    path("members/imports/<int:pk>/confirm/", views.import_confirm_view, name="confirm"),
    path("members/imports/<int:pk>/cancel/", views.import_cancel_view, name="cancel"),
    path("members/imports/<int:pk>/resume/", views.import_resume_view, name="resume"),
    path("members/imports/<int:pk>/report/", views.import_report_view, name="report"),
]
