"""Kept for plugins written against salbench 0.1: the network spec now lives in
salbench.spec.network."""

from salbench.spec.network import CorrelationSensors, NetworkSpec, SamplingNetwork

__all__ = ["CorrelationSensors", "NetworkSpec", "SamplingNetwork"]
