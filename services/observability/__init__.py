"""Logging and health for every Front Door process."""
