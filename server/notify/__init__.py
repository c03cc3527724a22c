"""Notifications: one transactional outbox, a dispatcher, and the web-push and SMS channels.

A state change that someone must hear about writes its outbox rows in the same
transaction (:func:`server.notify.outbox.enqueue`); the dispatcher delivers
them with retries through a channel (:mod:`server.notify.channels`). Notify
knows no domain: domains register their message templates
(:mod:`server.notify.templates`), the address books of the people they keep
(:mod:`server.notify.recipients`) and keyword handlers for the SMS people send
us (:mod:`server.notify.inbound`, where notify's own opt-out lives).
"""
