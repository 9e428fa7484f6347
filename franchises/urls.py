from django.contrib.auth import views as auth_views
from django.urls import path

from franchises import views

app_name = "franchises"
urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("franchise/switch", views.franchise_switch, name="switch"),
    path("franchise/<uuid:franchise_id>/open", views.franchise_open, name="open"),
    path("settings/tokens/", views.token_list, name="tokens"),
    path("settings/tokens/new", views.token_create, name="token_create"),
    path("settings/tokens/<int:token_id>/revoke", views.token_revoke, name="token_revoke"),
]
