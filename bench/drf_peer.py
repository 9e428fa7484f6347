"""`/data/calls` written the usual DRF way: ModelSerializer, a ListAPIView, a stock paginator.

Two peers: LimitOffsetPagination (the common default, with its COUNT(*)) and CursorPagination.
Both filter by the franchise of a bearer token, as the product does, and render the spec's
`{scope, pagination, calls}` shape.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import authentication, exceptions, generics, pagination, permissions, serializers
from rest_framework.response import Response

from calls.models import Call
from franchises.models import ApiToken, hash_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        try:
            token = ApiToken.objects.usable().select_related("franchise").get(token_hash=hash_token(header[7:]))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token") from None
        return (None, token)


class HasToken(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.auth is not None


class CallSerializer(serializers.ModelSerializer):
    duration = serializers.CharField()
    location_id = serializers.UUIDField(read_only=True)
    location = serializers.SerializerMethodField()
    real_estate = serializers.SerializerMethodField()
    recording_url = serializers.SerializerMethodField()
    recording_breesy_url = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "conversation_id", "caller_id", "timestamp", "duration", "agent_type", "call_category",
            "customer_name", "customer_email", "call_summary", "loss_type", "referral_source", "notes",
            "property_area", "request_type", "service_location", "callback_number", "location_id",
            "location", "transcript", "real_estate", "recording_url", "recording_breesy_url",
        ]  # fmt: skip

    def get_location(self, call: Call) -> str | None:
        return call.location.name if call.location else None

    def get_real_estate(self, call: Call) -> dict:
        return {f: getattr(call, f"real_estate_{f}") for f in Call.REAL_ESTATE_FIELDS}

    def get_recording_url(self, call: Call) -> str:
        return f"{settings.SITE_URL}/data/recordings/{call.conversation_id}"

    def get_recording_breesy_url(self, call: Call) -> str:
        return f"{settings.SITE_URL}/insights?tab=calldata&callId=conv_{call.conversation_id}"


def _shaped(request, page_size: int, next_link: str | None, data) -> Response:
    return Response(
        {
            "scope": {"franchise_id": str(request.auth.franchise_id), "location_id": None},
            "pagination": {"page_size": page_size, "has_more": next_link is not None, "next_cursor": next_link},
            "calls": data,
        }
    )


class OffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 100
    max_limit = 200
    limit_query_param = "page_size"

    def get_paginated_response(self, data):
        return _shaped(self.request, self.limit, self.get_next_link(), data)


class KeysetPagination(pagination.CursorPagination):
    page_size = 100
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-timestamp", "-id")

    def get_paginated_response(self, data):
        return _shaped(self.request, self.page_size, self.get_next_link(), data)


class _CallList(generics.ListAPIView):
    serializer_class = CallSerializer
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [HasToken]

    def get_queryset(self):
        return Call.objects.filter(franchise_id=self.request.auth.franchise_id).select_related("location")


class OffsetCallList(_CallList):
    pagination_class = OffsetPagination


class CursorCallList(_CallList):
    pagination_class = KeysetPagination
