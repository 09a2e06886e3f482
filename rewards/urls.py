from django.urls import path

from rewards import views

app_name = "rewards"

urlpatterns = [
    path("", views.catalogue_view, name="catalogue"),
    path("<int:pk>/", views.reward_edit_view, name="edit"),
    path("<int:pk>/switch/", views.reward_switch_view, name="switch"),
]
