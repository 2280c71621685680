"""invrl: reproducible deep reinforcement learning for inventory control."""

__version__ = "0.1.0"
