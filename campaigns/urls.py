from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.create_view, name="create"),
    path("audience-count/", views.audience_count_view, name="audience_count"),
    path("sms-estimate/", views.sms_estimate_view, name="sms_estimate"),
    path("settings/", views.settings_view, name="settings"),
    path("automations/", views.automations_view, name="automations"),
    path("automations/<str:kind>/", views.automation_view, name="automation"),
    path("automations/<str:kind>/<str:action>/", views.automation_action_view, name="automation_action"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/edit/", views.edit_view, name="edit"),
    path("<int:pk>/preview/", views.preview_view, name="preview"),
    path("<int:pk>/preview/email/", views.preview_email_view, name="preview_email"),
    path("<int:pk>/test/", views.test_send_view, name="test_send"),
    path("<int:pk>/confirm/", views.confirm_view, name="confirm"),
    path("<int:pk>/export/", views.export_view, name="export"),
    path("<int:pk>/<str:action>/", views.action_view, name="action"),
]
