COMMENT
StdwaSAL: SAL (spike-based alignment learning) as a NEURON weight adjuster, salbench.

The rule (salbench design.md 1.1): each nearest-neighbour pair of a pre and a post spike
changes the weight by -eta*a_causal*K(dt) (pre before post, dt = t_post - t_pre) or
+eta*a_acausal*K(-dt) (post before pre), K(s) = exp(-s/tau), clipped to [w_min, w_max] after
every event. At each spike, pair it with the other side's last spike, but only if that came
after this side's own previous spike. A pre and a post spike at the same time (within eps)
are each paired with the other's history before that time, and the tie adds K(0)/2 to both
lobes (salbench.rules.pairing's convention), whichever of the two events NEURON delivers
first.

Pairing uses the two cells' spike (emission) times, as SAL is defined (design.md 1.1) and as
NEST's salbench_sal_synapse does; the synaptic delay only delays the PSP.

Built like PyNN's stdwa_*.mod (native-sal.md, "NEURON: an NMODL weight adjuster"): PyNN
connects the pre cell with NetCon weight +1 and the post cell with weight -1, setpointers
wsyn to the synapse's NetCon weight and writes allow_update_on_post = 0 for NEST
compatibility. salbench's connection type (salbench/plasticity/neuron.py) gives both of
these NetCons delay 0, so t here is the spike's emission time, and a pre spike updates wsyn
at t_pre, before its PSP arrives at t_pre + d. Then, as in NEST, the weight the simulator
holds changes only at pre spikes: the post spike's update is computed at once but applied at
the next pre spike, to the weight held then (a Projection.set in between is kept, as NEST
keeps it). The state is the last spike times, no traces; ties use eps = 1e-6 ms because
NEURON event times carry ~1e-13 ms round-off; with both delays 0 a simultaneous pre and post
spike arrive in either order, and both orders give the same result.
ENDCOMMENT

NEURON {
    POINT_PROCESS StdwaSAL
    RANGE tau, eta, a_causal, a_acausal, w_min, w_max, on, allow_update_on_post, eps
    RANGE last_pre, prev_pre, last_post, prev_post, pending
    POINTER wsyn
}

PARAMETER {
    tau = 10 (ms)
    eta = 0.001
    a_causal = 1
    a_acausal = 1
    w_min = -1
    w_max = 1
    on = 1
    allow_update_on_post = 1
    eps = 1e-6 (ms)
}

ASSIGNED {
    wsyn
    last_pre (ms)
    prev_pre (ms)
    last_post (ms)
    prev_post (ms)
    pending    : a post spike's causal update, not yet applied to wsyn
    tie
    q (ms)
}

INITIAL {
    : "never": far enough back that exp() of it is 0 and no restriction test passes
    last_pre = -1e12
    prev_pre = -1e12
    last_post = -1e12
    prev_post = -1e12
    pending = 0
}

FUNCTION clip(w) {
    if (w < w_min) {
        clip = w_min
    } else if (w > w_max) {
        clip = w_max
    } else {
        clip = w
    }
}

NET_RECEIVE (w) {
    if (on) {
    if (w >= 0) {
        : a pre spike at t (its emission time)
        if (t - last_pre > eps) {
            : apply a post spike's update still pending (NEST processes it first, too)
            wsyn = clip(wsyn + pending)
            pending = 0
            tie = (t - last_post <= eps)
            if (tie) {
                q = prev_post
            } else {
                q = last_post
            }
            if (q - last_pre > eps) {
                wsyn = wsyn + eta * a_acausal * exp(-(t - q) / tau)
            }
            if (tie) {
                wsyn = wsyn + 0.5 * eta * (a_acausal - a_causal)
            }
            wsyn = clip(wsyn)
            prev_pre = last_pre
            last_pre = t
        }
    } else {
        : a post spike at t (its emission time)
        if (t - last_post > eps) {
            tie = (t - last_pre <= eps)
            if (tie) {
                q = prev_pre
            } else {
                q = last_pre
            }
            if (q - last_post > eps) {
                pending = pending - eta * a_causal * exp(-(t - q) / tau)
            }
            if (tie) {
                : delivered after the simultaneous pre spike: NEST processes this post first,
                : at that pre; apply now, then the tie
                wsyn = clip(wsyn + pending)
                wsyn = clip(wsyn + 0.5 * eta * (a_acausal - a_causal))
                pending = 0
            } else if (allow_update_on_post) {
                wsyn = clip(wsyn + pending)
                pending = 0
            }
            prev_post = last_post
            last_post = t
        }
    }
    }
}
