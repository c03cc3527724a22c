"""Staggered-hour visits 错时服务: the care roster, pairs 结对帮扶, week plans and visit logs."""
