from django.urls import path

from members import views
from rewards.views import member_redeem_view

app_name = "members"

urlpatterns = [
    path("", views.member_list_view, name="list"),
    path("export/", views.member_export_view, name="export"),
    path("activate/", views.member_activate_all_view, name="activate_all"),
    path("<int:pk>/", views.member_detail_view, name="detail"),
    path("<int:pk>/activate/", views.member_activate_view, name="activate"),
    path("<int:pk>/points/", views.member_points_view, name="points"),
    path("<int:pk>/message/", views.member_message_view, name="message"),
    path("<int:pk>/redeem/", member_redeem_view, name="redeem"),
    path("add-to-group/", views.group_add_filtered_view, name="add_to_group"),
    path("groups/", views.group_list_view, name="groups"),
    path("groups/count/", views.group_count_view, name="group_count"),
    path("groups/<int:pk>/", views.group_detail_view, name="group"),
    path("groups/<int:pk>/upload/", views.group_upload_view, name="group_upload"),
    path("groups/<int:pk>/delete/", views.group_delete_view, name="group_delete"),
    path("groups/<int:pk>/remove/<int:customer_id>/", views.group_remove_view, name="group_remove"),
]
