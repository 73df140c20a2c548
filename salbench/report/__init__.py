"""Reports: self-contained HTML generated from the store only, never from in-memory state."""
