from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("<slug:slug>/", views.home_view, name="home"),
    path("<slug:slug>/code/", views.code_view, name="code"),
    path("<slug:slug>/redeem/", views.redeem_view, name="redeem"),
    path("<slug:slug>/sign-out/", views.sign_out_view, name="sign_out"),
]
