"""The micro-wish board 微心愿: residents post small wishes, volunteers claim and fulfil them.

States and transitions are in :mod:`server.wishes.states`; every transition is
kept in the wish's history and tells the right people through the outbox.
"""
