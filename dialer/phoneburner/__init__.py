"""PhoneBurner: the API client, the typed shapes of its answers and callbacks, and a fake server."""
