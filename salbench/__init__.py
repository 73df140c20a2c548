"""salbench: a benchmark suite for spike-based alignment learning (SAL).

Layers, each depending only on the ones above it in this list:
rules -> protocols -> realisation -> backends -> runner -> store -> report -> cli
"""

__version__ = "0.1.0"
