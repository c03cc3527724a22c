"""Linli 邻里: community grid management (the Puyang 3334 model)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
