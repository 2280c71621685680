"""Optimisers of policy parameters."""
