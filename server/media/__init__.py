"""Photos attached to wishes (and later cases and visits), kept in the database.

Kept in the database rather than on one machine's disk so that every server
behind a load balancer can serve them; phones shrink photos before upload, so
rows stay small (≤ 1 MiB each).
"""
