"""The window terminal 办事窗口: the service centres windows, the days ticket queue, and looking a walk-in up."""
