from django.urls import path

from members import import_views, views

app_name = "members"

urlpatterns = [
    path("", views.member_list_view, name="list"),
    path("export/", views.member_export_view, name="export"),
    path("activate/", views.member_activate_all_view, name="activate_all"),
    path("<int:pk>/", views.member_detail_view, name="detail"),
    path("<int:pk>/activate/", views.member_activate_view, name="activate"),
    path("<int:pk>/points/", views.member_points_view, name="points"),
    path("<int:pk>/message/", views.member_message_view, name="message"),
    path("add-to-group/", views.group_add_filtered_view, name="add_to_group"),
    path("groups/", views.group_list_view, name="groups"),
    path("groups/count/", views.group_count_view, name="group_count"),
    path("groups/<int:pk>/", views.group_detail_view, name="group"),
    path("groups/<int:pk>/upload/", views.group_upload_view, name="group_upload"),
    path("groups/<int:pk>/delete/", views.group_delete_view, name="group_delete"),
    path("groups/<int:pk>/remove/<int:customer_id>/", views.group_remove_view, name="group_remove"),
    path("opening-balances/", import_views.import_start_view, {"kind": "opening"}, name="opening_import"),
    path(
        "opening-balances/template.xlsx",
        import_views.import_template_view,
        {"kind": "opening"},
        name="opening_template",
    ),
    path("imports/<int:pk>/", import_views.import_view, name="import"),
    path("imports/<int:pk>/status/", import_views.import_status_view, name="import_status"),
    path("imports/<int:pk>/confirm/", import_views.import_confirm_view, name="import_confirm"),
    path("imports/<int:pk>/cancel/", import_views.import_cancel_view, name="import_cancel"),
    path("imports/<int:pk>/resume/", import_views.import_resume_view, name="import_resume"),
    path("imports/<int:pk>/report/", import_views.import_report_view, name="import_report"),
]
