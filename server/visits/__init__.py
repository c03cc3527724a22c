"""Staggered-hour home visits (错时服务): the weekly plan of who visits whom, and when."""
