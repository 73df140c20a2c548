COMMENT
SALExpSyn: the SAL (spike-based alignment learning, salbench) point process for NetCons onto
an exponential conductance synapse (NEURON's ExpSyn). One instance per post cell and SAL
projection holds the post cell's recent spike times; every incoming SAL NetCon keeps its own
weight and pairing state in its weight vector. A pre spike costs one event, as on a static
synapse: it updates the weight, then adds it to the conductance of the cell's own ExpSyn
(POINTER gsyn, set by salbench/plasticity/neuron.py), as an event onto that ExpSyn would.
So the cell has one synaptic conductance per receptor, the one PyNN records as gsyn_exc or
gsyn_inh, with the receptor's tau and reversal potential. (This point process used to
integrate a conductance of its own, a copy of the ExpSyn: PyNN's recording left it out,
0 uS on a cell driven through SAL alone, and a later change of the cell's tau_syn missed it.)
NEURON re-initialises CVODE for the target's cell after every event it delivers, and the
ExpSyn is on that cell, so the added conductance is seen with variable steps too.

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

SALExpSyn takes a_causal, a_acausal and the delay from each NetCon (PyNN allows them per
synapse); SALExpSynHom (sal_exp_syn_hom.mod), for projections that give one value of each
for all synapses, from fields of its own, one per post cell, so its NetCons hold only the
rule state. The rule and the layouts are in sal_exp_syn.inc, which both INCLUDE.

NetCon weight vector: the rule state (w, last_pre, nseen: sal_exp_syn.inc), a_causal,
a_acausal, d (ms: the NetCon's delay). The post cell's NetCon has w = NaN.

Speed: NEURON 9 keeps each field of all instances of a mechanism in one array (structure of
arrays), so what every event reads (the post spike count npost; SALExpSynHom's amplitudes and
delay) are scalar fields, 8 bytes a post cell, and what only a pairing reads (the recent post
spikes, the parameters, the ring buffer) is one array per post cell, `sal` (layout in
sal_exp_syn.inc), which salbench sets from Python (salbench/plasticity/neuron.py). The
rule's hot path is C (VERBATIM), compiled so that the FUNCTIONs inline (salbench.nmodl's
COMPILE_FLAGS).
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS SALExpSyn
    RANGE npost, sal
    POINTER gsyn
}

INCLUDE "sal_exp_syn.inc"

NET_RECEIVE(w (uS), last_pre (ms), nseen, a_causal, a_acausal, d (ms)) {
    INITIAL {
        last_pre = -1e12
        nseen = 0
    }
    if (post_spike(w)) {
        : a post spike, at its emission time t. Every NFLUSH post spikes, the NetCons whose
        : history starts too far back settle their causal pair (sal_behind).
        if (flush_due()) {
            FOR_NETCONS(w1, lp1, ns1, ac1, aa1, d1) {
                if (behind(w1, ns1)) {
                    if (ns1 >= 0) {
                        lp1 = causal(ac1, lp1, ns1)  : kept until the next pre
                    }
                    ns1 = settled_nseen()
                }
            }
        }
        VERBATIM
        sal_record(sal, &npost, t);
        ENDVERBATIM
    } else {
        : a pre spike emitted at t - d: the rule, then its PSP with the new weight
        VERBATIM
        gsyn += sal_pre(sal, npost, _args, t - _args[5], _args[3], _args[4]);
        ENDVERBATIM
    }
}
