"""People who log in, their roles and the scope each role is bound to."""
