from django.urls import path

from dialer import views

app_name = "dialer"

urlpatterns = [
    path("dialer/queue/", views.queue, name="queue"),
    path("dialer/new/", views.launch, name="new"),
    path("dialer/sessions/", views.session_list, name="sessions"),
    path("dialer/sessions/<uuid:session_id>/", views.session_detail, name="session"),
    path("dialer/sessions/<uuid:session_id>/end/", views.session_end, name="session_end"),
    path("dialer/settings/", views.dial_settings, name="settings"),
    path("dialer/usage/", views.usage, name="usage"),
    path("settings/phoneburner/", views.account, name="account"),
    path("hooks/phoneburner/<uuid:session_id>/<str:secret>/<str:kind>/", views.callback, name="callback"),
]
