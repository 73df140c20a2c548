COMMENT
SalbenchWhiteNoise: a per-cell white-noise current, the NEURON twin of NEST's noise_generator.

The current is piecewise constant: every dt_noise ms it is redrawn as an independent
N(mean, std^2) value (nA). Each instance draws from its own Random123 stream (RANDOM rng), so
cells are independent when the Python side gives every instance distinct ids
(salbench.backends.neuron_noise does: run seed, cell index, a constant tag).

Why not pyNN.neuron's NoisyCurrentSource: it pre-generates one vector, played into every target
(the same noise in all cells) and costs memory proportional to the run length.

Timing. The value used during step k (the interval [k*dt_noise, (k+1)*dt_noise)) is draw k of
the stream. The interval index is computed from t with a tolerance of 1e-6 of dt_noise, so the
round-off of t (NEURON's fixed step accumulates t += dt) cannot skip or repeat a draw; fixed
step evaluates currents at t + dt/2, far from any boundary. Meant for fixed-step integration
(pyNN.neuron's default): under CVode the current jumps are not announced to the integrator.

Reset. INITIAL restarts the stream at its beginning (random_setseq(rng, 0)): every
finitialize(), and so every PyNN sim.reset(), replays the same noise for the same ids. This
makes a trace a function of (ids, step index) alone, not of how many times finitialize() ran
(pyNN.neuron calls it at setup, at the first run and at each reset). For fresh noise after a
reset, give the instances new ids.

Sign: ELECTRODE_CURRENT, like IClamp: a positive i depolarises.
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS SalbenchWhiteNoise
    RANGE mean, std, dt_noise, i
    ELECTRODE_CURRENT i
    RANDOM rng
}

UNITS {
    (nA) = (nanoamp)
}

PARAMETER {
    mean = 0 (nA)
    std = 0 (nA)
    dt_noise = 0.1 (ms) <1e-9, 1e9>
}

ASSIGNED {
    i (nA)
    inoise (nA)   : the value of the current interval
    k             : index of the current interval, -1 before the first draw
}

INITIAL {
    random_setseq(rng, 0)
    k = -1
    draw()
    i = inoise
}

BEFORE BREAKPOINT {
    draw()
}

BREAKPOINT {
    i = inoise
}

PROCEDURE draw() {
    LOCAL kt
    : the tolerance keeps a t that should sit on a boundary but lies just below it (round-off)
    : in the new interval
    kt = floor(t / dt_noise + 1e-6)
    if (kt > k) {
        : one draw per interval entered; if a step jumps over several (dt > dt_noise, which
        : the Python side refuses) the current still changes once, with the right statistics
        inoise = mean + std * random_normal(rng)
        k = kt
    }
}
