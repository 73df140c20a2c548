"""Scenario protocols: training loops and metrics in abstract units. No PyNN import here."""
