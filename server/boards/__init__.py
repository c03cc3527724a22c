"""Boards and statistics: case figures per grid, community and sub-district, each with its formula; exports."""
