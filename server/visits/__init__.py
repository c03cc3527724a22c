"""Staggered-hour visits 错时服务: the care roster, pairs 结对帮扶, week plans and visit logs.

:mod:`.planner` is the database-free planning core (OR-Tools routing);
:mod:`.models` and :mod:`.rules` are the visits on the workflow core.
"""
