"""The shared vocabulary of every layer: the abstract network a protocol asks for
(`network`: `NetworkSpec`, `SamplingNetwork`), the parameters of a LIF sampling unit
(`units`: `LIFUnitParams`) and their uncalibrated translation (`translation`), and the
Boltzmann-machine tools that define and read out what the network samples (`boltzmann`)."""
