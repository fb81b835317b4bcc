"""demo-gateway: the API gateway (universes, vector search, metrics, API keys and rate limits)."""
