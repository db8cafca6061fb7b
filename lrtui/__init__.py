"""lrtui: see what the learning rate does to training."""

__version__ = "0.1.0"
