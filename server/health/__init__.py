"""Liveness and readiness of the app and its database; public client configuration."""
