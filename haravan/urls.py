from django.urls import path

from haravan import views

app_name = "haravan"

urlpatterns = [
    path("settings/haravan/", views.connection_view, name="connection"),
    path("settings/haravan/check/", views.check_view, name="check"),
    path("settings/haravan/sync/", views.sync_start_view, name="sync_start"),
    path("settings/haravan/sync/<int:pk>/", views.sync_view, name="sync"),
    path("settings/haravan/sync/<int:pk>/resume/", views.sync_resume_view, name="sync_resume"),
    path("webhooks/haravan/<str:key>/", views.webhook_view, name="webhook"),
]
