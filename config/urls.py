from django.contrib import admin
from django.urls import include, path

from calls import webhook_views
from config.api import data_urls
from config.errorpages import server_error

handler500 = server_error

urlpatterns = [
    path("admin/", admin.site.urls),
    path("data/", data_urls()),
    path("", include("franchises.urls")),
    path("", include("calls.urls")),
    path("contacts/", include("contacts.urls")),
    # The voice-agent webhook (signed, no session) and its owners' settings page.
    path("hooks/calls/<str:franchise_id>", webhook_views.call_webhook, name="call_webhook"),
    path("settings/webhooks/", webhook_views.webhook_settings, name="webhook_settings"),
    path("settings/webhooks/secrets/", webhook_views.webhook_secret_new, name="webhook_secret_new"),
    path(
        "settings/webhooks/secrets/<int:secret_id>/revoke/",
        webhook_views.webhook_secret_revoke_view,
        name="webhook_secret_revoke",
    ),
    path("", include("dialer.urls")),
    path("settings/crm/", include("contacts.crm.urls")),
]
