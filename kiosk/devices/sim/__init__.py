"""Simulated devices for the demo and fast tests, behind the same ports as the real ones."""
