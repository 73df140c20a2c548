"""Backend adapters: one per simulator. A backend turns an abstract `NetworkSpec` into a
running `SamplingNetwork` and reports its provenance. Registered as `salbench.backends`
entry points; see `base.Backend` for what an adapter supplies."""
