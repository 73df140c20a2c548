"""PyNN backend modules built into salbench (simulators and hardware emulations)."""
