"""Settings for the DRF peers: the product's settings plus Django REST framework and the peers' URLs.

The peers are what a team would otherwise build: the same models, ModelSerializer, and DRF's
stock paginators. They exist only for the benchmark and are not part of the product.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework"]
ROOT_URLCONF = "bench.drf_urls"
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # The views name their bearer-token auth themselves (naming it here would import it circularly).
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
