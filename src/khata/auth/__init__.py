"""Authentication: OAuth token endpoint, API keys, and the caller dependency."""
