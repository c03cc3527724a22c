"""Delivery channels: web push and SMS providers, behind one small interface."""
