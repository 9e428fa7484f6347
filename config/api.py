"""The Data Share API (`/data/`), served by django-ninja. See ../shared/specs/data-share-api.txt."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Breesy Data Share API",
    version="1.0",
    urls_namespace="data",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
