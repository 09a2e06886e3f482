from django.urls import path

from shops import views

app_name = "shops"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/password/", views.password_change_view, name="password_change"),
    path("account/language/", views.language_view, name="language"),
    path("settings/shop/", views.shop_settings_view, name="settings"),
    path("settings/staff/new/", views.staff_create_view, name="staff_create"),
    path("settings/staff/<int:pk>/", views.staff_edit_view, name="staff_edit"),
    path("settings/activity/", views.activity_list_view, name="activity"),
    path("settings/activity/export/", views.activity_export_view, name="activity_export"),
    path("settings/activity/<int:pk>/", views.activity_detail_view, name="activity_detail"),
    path("exports/<int:pk>/", views.export_detail_view, name="export"),
    path("exports/<int:pk>/download/", views.export_download_view, name="export_download"),
]
