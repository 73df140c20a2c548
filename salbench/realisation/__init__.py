"""Realisation of abstract networks through PyNN: works with any PyNN backend module."""
