COMMENT
SALExpSynHom: SALExpSyn (sal_exp_syn.mod, the design) for a projection whose synapses share
one a_causal, one a_acausal and one delay, as most do: those are kept once per post cell
(fields of this point process), so each NetCon's weight vector holds only the rule state
(w, last_pre, nseen) and is a 32-byte heap chunk, as a static NetCon's is (sal_exp_syn.inc).
salbench picks it when the synapse type gives one value of each
(salbench/plasticity/neuron.py).
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS SALExpSynHom
    RANGE npost, sal, a_causal, a_acausal, delay
    POINTER gsyn
}

INCLUDE "sal_exp_syn.inc"

ASSIGNED {
    a_causal
    a_acausal
    delay (ms)
}

FUNCTION shared_causal(last_pre, nseen) {
    VERBATIM
    _lshared_causal = sal_causal(sal, npost, a_causal, _llast_pre, _lnseen);
    ENDVERBATIM
}

NET_RECEIVE(w (uS), last_pre (ms), nseen) {
    INITIAL {
        last_pre = -1e12
        nseen = 0
    }
    if (post_spike(w)) {
        : a post spike (see SALExpSyn)
        if (flush_due()) {
            FOR_NETCONS(w1, lp1, ns1) {
                if (behind(w1, ns1)) {
                    if (ns1 >= 0) {
                        lp1 = shared_causal(lp1, ns1)  : kept until the next pre
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
        gsyn += sal_pre(sal, npost, _args, t - delay, a_causal, a_acausal);
        ENDVERBATIM
    }
}
