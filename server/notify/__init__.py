"""Notifications: one transactional outbox, a dispatcher, and the web-push and SMS channels.

A state change that someone must hear about writes its outbox rows in the same
transaction (:func:`server.notify.outbox.enqueue`); the dispatcher delivers
them with retries through a channel (:mod:`server.notify.channels`).
"""
