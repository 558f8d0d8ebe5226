"""Version of the reluinv package."""

__version__ = "0.1.0"
