"""The shared vocabulary of every layer: the abstract network a protocol asks for
(`NetworkSpec`, `SamplingNetwork`) and the parameters of a LIF sampling unit
(`LIFUnitParams`)."""
