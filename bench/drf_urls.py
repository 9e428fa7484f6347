from django.urls import path

from bench.drf_peer import CursorCallList, OffsetCallList

urlpatterns = [
    path("drf/offset/calls", OffsetCallList.as_view()),
    path("drf/cursor/calls", CursorCallList.as_view()),
]
