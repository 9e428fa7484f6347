from django.urls import path

from calls import views

app_name = "calls"
urlpatterns = [
    path("", views.call_list, name="list"),
    path("<str:conversation_id>/", views.call_detail, name="detail"),
    path("<str:conversation_id>/recording", views.call_recording, name="recording"),
]
