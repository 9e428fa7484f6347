from django.urls import path

from contacts import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("tags/suggest", views.tag_suggestions, name="tag_suggestions"),
    path("for-call/<str:conversation_id>/", views.contact_for_call, name="for_call"),
    path("new/", views.contact_new, name="new"),
    path("merges/<int:merge_id>/undo", views.merge_undo, name="merge_undo"),
    path("<int:contact_id>/", views.contact_detail, name="detail"),
    path("<int:contact_id>/edit", views.contact_edit, name="edit"),
    path("<int:contact_id>/merge/", views.contact_merge, name="merge"),
    path("<int:contact_id>/notes", views.contact_notes, name="notes"),
    path("<int:contact_id>/<str:kind>/add", views.contact_tag_add, name="tag_add"),
    path("<int:contact_id>/<str:kind>/<int:tag_id>/remove", views.contact_tag_remove, name="tag_remove"),
]
