COMMENT
SALExpSyn: an exponential conductance synapse (NEURON's ExpSyn) whose NetCons learn with SAL
(spike-based alignment learning), salbench. One instance per post cell and SAL projection
holds the post cell's recent spike times; every incoming SAL NetCon keeps its own weight and
pairing state in its weight vector. A pre spike costs one event, as on a static synapse.

The rule (salbench design.md 1.1): each nearest-neighbour pair of a pre and a post spike
changes the weight by -eta*a_causal*K(dt) (pre before post, dt = t_post - t_pre) or
+eta*a_acausal*K(-dt) (post before pre), K(s) = exp(-s/tau_w), clipped to [w_min, w_max]
after every event. At each spike, pair it with the other side's last spike, but only if that
came after this side's own previous spike. A pre and a post spike at the same time (within
eps) are each paired with the other's history before that time, and the tie adds K(0)/2 to
both lobes (salbench.rules.pairing's convention).

Pairing uses the two cells' spike (emission) times, as SAL is defined (design.md 1.1); the
delay d only delays the PSP. The update is lazy and follows NEST's salbench_sal_synapse step
for step: when a pre spike emitted at t_pre arrives (at t = t_pre + d), first the post spikes
in [last_pre + eps, t_pre + eps) in time order (only the first of them can pair, with
last_pre), then the pre spike itself (paired with the last post before it); then its PSP,
with the updated weight. So the weight the simulator holds changes only at pre arrivals, and
every post spike the pre spike needs is already recorded: posts reach this point process
through a NetCon from the post cell with delay 0, at their emission time, before t_pre + d.

Why not a weight adjuster per synapse (stdwa_sal.mod, PyNN's STDP design): that costs two
extra events per spike and synapse (pre -> adjuster, post -> adjuster) and a point process
per synapse; at N = 1000 all-to-all online learning then cost 3.4x the static simulation.
Here a post spike is one event per post cell, and the pre spike's own event does the rule.

The post history is a ring buffer of the last NBUF spike times. A NetCon needs the post
spikes from index nseen - 2 on (nseen: posts before its last pre); a pre that stays silent
while NBUF posts come would lose them, so every NFLUSH post spikes the NetCons that fell
behind compute their one causal pair (the first post after their last pre) at once,
FOR_NETCONS, and keep it pending: the next pre applies it, as NEST would (its pre is not in
flight: that post is more than NBUF - NFLUSH - 2 post spikes old, each a refractory period
apart, far longer than any delay). A history still too short stops the run with an error.

NetCon weight vector: w (uS), a_causal, a_acausal, d (ms: the NetCon's delay; < 0 marks the
post cell's NetCon), last_pre (ms, emission time), nseen (post spikes before last_pre + eps),
pending (uS: a causal change settled by a flush, not yet applied).

Speed: NEURON 9 builds a cache of every RANGE field of the point process for each event it
delivers, so the SAL parameters and the post history share one array, `sal`: tau_w (ms),
eta, w_min, w_max (uS), npost (post spikes so far), then the ring buffer. salbench sets them
from Python (salbench/plasticity/neuron.py); the rule's hot path is C (VERBATIM). The
last three post spikes are also kept beside the parameters, in the array's first cache line:
nearly every pre spike needs only those, and the ring buffer is then not read at all.
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS SALExpSyn
    RANGE tau, e, i, g, sal
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

: sal[]: the layout below (SAL_*), 8 + NBUF entries
DEFINE NSAL 72

PARAMETER {
    tau = 0.1 (ms) <1e-9,1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    sal[NSAL]
}

STATE {
    g (uS)
}

VERBATIM
/* sal[]: the rule's parameters, the post spike count and the ring buffer of post spikes */
enum { SAL_TAU_W, SAL_ETA, SAL_W_MIN, SAL_W_MAX, SAL_NPOST, SAL_RECENT, SAL_TPOST = 8 };
/* SAL_RECENT + j: post spike npost - 1 - j (the last three) */
#define SAL_NRECENT 3
#define SAL_NBUF 64
#define SAL_NFLUSH 16
/* spike times closer than this are simultaneous (NEURON event times carry round-off) */
#define SAL_EPS 1e-6
/* "never": far enough back that exp() of it is 0 and no restriction test passes */
#define SAL_NEVER -1e12

/* post spike k (k counts from 0), or never before the first */
static inline double sal_post(const double* s, double k) {
    const double back = s[SAL_NPOST] - 1 - k; /* 0: the last post spike */
    if (k < 0) {
        return SAL_NEVER;
    }
    if (back < SAL_NRECENT) {
        return s[SAL_RECENT + (long) back];
    }
    return s[SAL_TPOST + ((long) k) % SAL_NBUF];
}

/* record a post spike at time tp (no "t" in C here: NMODL defines it as a macro) */
static inline void sal_record(double* s, double tp) {
    s[SAL_TPOST + ((long) s[SAL_NPOST]) % SAL_NBUF] = tp;
    s[SAL_RECENT + 2] = s[SAL_RECENT + 1];
    s[SAL_RECENT + 1] = s[SAL_RECENT];
    s[SAL_RECENT] = tp;
    s[SAL_NPOST] += 1;
}

static inline double sal_clip(const double* s, double w) {
    return w < s[SAL_W_MIN] ? s[SAL_W_MIN] : (w > s[SAL_W_MAX] ? s[SAL_W_MAX] : w);
}

/* The pending post spikes' causal change: only the first post after last_pre (index nseen)
   pairs (each later one has a post after last_pre before it), and only if the post before
   it came before last_pre. */
static inline double sal_causal(const double* s, double a_causal, double last_pre,
                                double nseen) {
    if (last_pre - sal_post(s, nseen - 1) > SAL_EPS) {
        return -s[SAL_ETA] * a_causal * exp(-(sal_post(s, nseen) - last_pre) / s[SAL_TAU_W]);
    }
    return 0;
}

/* A pre spike emitted at tp: its post spikes, then itself (salbench_sal_synapse's send);
   returns the new weight. a[]: the NetCon's weight vector. */
static double sal_pre(double* s, double* a, double tp) {
    double w = a[0], q;
    const double npost = s[SAL_NPOST], nseen = a[5];
    double m = npost;
    int tie;
    if (nseen - 2 < npost - SAL_NBUF) {
        hoc_execerror("SALExpSyn: post-spike history overflow", 0);
    }
    if (a[6] != 0) { /* a causal pair settled by a flush: applied now, as if found now */
        w = sal_clip(s, w + a[6]);
        a[6] = 0;
    }
    if (npost == nseen && tp - a[4] > 2 * SAL_EPS) {
        /* no post spike since the last pre (about half the pre spikes): no causal pair, and
           the last post came before the last pre + eps, so neither an acausal pair nor a
           tie (a repeated pre time would tie again: the general path below) */
        a[0] = w;
        a[4] = tp;
        return w;
    }
    /* m: the post spikes before tp + eps (those before nseen are, by construction) */
    while (m > nseen && sal_post(s, m - 1) >= tp + SAL_EPS) {
        m -= 1;
    }
    if (m > nseen) {
        q = sal_causal(s, a[1], a[4], nseen);
        if (q != 0) {
            w = sal_clip(s, w + q);
        }
    }
    /* a post at tp (within eps) is a tie: the pre pairs with the post before it, and the
       tie adds K(0)/2 to each lobe */
    tie = tp - sal_post(s, m - 1) <= SAL_EPS;
    q = sal_post(s, tie ? m - 2 : m - 1);
    if (q - a[4] > SAL_EPS) {
        w += s[SAL_ETA] * a[2] * exp(-(tp - q) / s[SAL_TAU_W]);
    }
    if (tie) {
        w += 0.5 * s[SAL_ETA] * (a[2] - a[1]);
    }
    w = sal_clip(s, w);
    a[0] = w;
    a[4] = tp;
    a[5] = m;
    return w;
}
ENDVERBATIM

INITIAL {
    g = 0
    VERBATIM
    sal[SAL_NPOST] = 0;
    ENDVERBATIM
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE state {
    g' = -g/tau
}

FUNCTION causal(a_causal, last_pre, nseen) {
    VERBATIM
    _lcausal = sal_causal(sal, _la_causal, _llast_pre, _lnseen);
    ENDVERBATIM
}

NET_RECEIVE(w (uS), a_causal, a_acausal, d (ms), last_pre (ms), nseen, pending (uS)) {
    LOCAL n, flush, behind
    INITIAL {
        last_pre = -1e12
        nseen = 0
        pending = 0
    }
    if (d < 0) {
        : a post spike, at its emission time t. Every NFLUSH post spikes, the NetCons whose
        : history starts more than NBUF - NFLUSH - 2 post spikes back settle their pair now.
        VERBATIM
        _ln = sal[SAL_NPOST];
        _lflush = ((long) _ln) % SAL_NFLUSH == 0 && _ln >= SAL_NBUF - SAL_NFLUSH - 2;
        _lbehind = _ln + SAL_NFLUSH + 2 - SAL_NBUF;
        ENDVERBATIM
        if (flush) {
            FOR_NETCONS(w1, ac1, aa1, d1, lp1, ns1, pd1) {
                if (d1 >= 0 && ns1 < behind) {
                    if (ns1 < n) {
                        pd1 = pd1 + causal(ac1, lp1, ns1)  : 0 after the first flush
                    }
                    ns1 = n
                }
            }
        }
        VERBATIM
        sal_record(sal, t);
        ENDVERBATIM
    } else {
        : a pre spike emitted at t - d: the rule, then its PSP with the new weight
        VERBATIM
        g += sal_pre(sal, _args, t - _args[3]);
        ENDVERBATIM
    }
}
