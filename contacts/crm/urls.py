from django.urls import path

from contacts.crm import views

app_name = "crm"
urlpatterns = [
    path("", views.crm_page, name="page"),
    path("connect", views.crm_connect, name="connect"),
    path("sync", views.crm_sync_start, name="sync"),
    path("progress", views.crm_progress, name="progress"),
]
