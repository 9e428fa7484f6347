from django.urls import path

from calls import views

app_name = "calls"
# Included at the site root: the dashboard is the home page and `/insights` is the API's call link.
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("insights", views.insights, name="insights"),
    path("calls/", views.call_list, name="list"),
    path("calls/state/", views.call_state_batch, name="state_batch"),
    path("calls/<str:conversation_id>/", views.call_detail, name="detail"),
    path("calls/<str:conversation_id>/recording", views.call_recording, name="recording"),
    path("calls/<str:conversation_id>/state", views.call_state, name="state"),
    path("calls/<str:conversation_id>/comments", views.call_comment, name="comment"),
    path("calls/<str:conversation_id>/category", views.call_category, name="category"),
]
