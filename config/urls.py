from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("data/", api.urls),
    path("", include("franchises.urls")),
    path("", include("calls.urls")),
    path("contacts/", include("contacts.urls")),
]
