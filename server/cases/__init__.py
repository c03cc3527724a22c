"""Service cases 民意快线: the service catalogue, working time, and (later) the cases."""
