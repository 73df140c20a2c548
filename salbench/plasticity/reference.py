"""Event-driven reference of online SAL on one synapse: what NEST's and NEURON's SAL synapses
must compute for given spike trains.

The rule is salbench's (design.md 1.1, salbench.rules): nearest-neighbour pairing, the window
K of salbench.rules.windows, and a pre and a post spike within salbench.rules.pairing.TIE_EPS
of each other paired with each other's history before that time plus K(0)/2 on both lobes.
Summed without clipping it gives exactly salbench.rules.sal's epoch update (tested), so the
online and the epoch rule are the same rule; online, the weight is clipped to [w_min, w_max]
after every event, and clipping makes the order of events matter.

Pairing is on the two cells' spike (emission) times, as SAL is defined (design.md 1.1:
dt = t_post - t_pre), as the epoch rule and bss2's sensors pair them; a pre and a post spike
at the same time: the post is processed first. The synaptic delay only delays the PSP, so it
is no argument of the trajectory; it bounds when a simulator applies an update (before the
PSP at t_pre + d), which matters only for read-outs: see ``weight_at``. With ``lazy`` (NEST
always; NEURON as pyNN.neuron sets it up, allow_update_on_post = 0) the weight the simulator
holds changes only when a pre spike is processed, so the trajectory is sampled at the pre
spikes.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from salbench.rules.pairing import TIE_EPS
from salbench.rules.windows import WINDOWS


def sal_trajectory(
    pre: ArrayLike,
    post: ArrayLike,
    *,
    w0: float,
    tau: float,
    eta: float,
    a_causal: float = 1.0,
    a_acausal: float = 1.0,
    w_min: float = -math.inf,
    w_max: float = math.inf,
    window: str = "exponential",
    lazy: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Weight of the synapse pre -> post after each pre spike: (pre spike times, weights).

    ``pre`` and ``post`` are the recorded spike times (ms) of the two cells (whatever the
    synapse's delay). Post spikes after the last pre spike are not in the result (lazily,
    nothing applies them yet). With ``lazy=False`` a post spike's update is
    applied at once; the values at the pre spikes are the same unless clipping intervenes.
    """
    k = WINDOWS[window]
    pre_t = np.sort(np.asarray(pre, dtype=float).ravel())
    post_t = np.sort(np.asarray(post, dtype=float).ravel())
    # time order, compared on a 1e-7 ms grid (recorded and precise times carry round-off;
    # native-sal.md: compare event times on the time grid); a post at a pre's time first
    # (kind 0)
    events = sorted([(t, 0) for t in post_t.tolist()] + [(t, 1) for t in pre_t.tolist()],
                    key=lambda e: (round(e[0], 7), e[1]))
    never = -math.inf
    last_pre = prev_pre = last_post = prev_post = never
    w, pending = float(w0), 0.0
    out: list[float] = []

    def clip(x: float) -> float:
        return min(max(x, w_min), w_max)

    def k_of(s: float) -> float:
        return float(k(s, tau))

    half_tie = 0.5 * eta * (a_acausal - a_causal) * k_of(0.0)
    for t, kind in events:
        if kind == 0:  # post spike at t
            if t - last_post <= TIE_EPS:
                continue  # a duplicate adds nothing (the rule library ignores it too)
            tie = t - last_pre <= TIE_EPS
            s = prev_pre if tie else last_pre
            if s - last_post > TIE_EPS:  # only a pre after this post's own previous spike
                pending -= eta * a_causal * k_of(t - s)
            if not lazy or tie:
                w, pending = clip(w + pending), 0.0
                if tie:
                    w = clip(w + half_tie)
            prev_post, last_post = last_post, t
        else:  # pre spike at t
            if t - last_pre <= TIE_EPS:
                out.append(w)
                continue
            w, pending = clip(w + pending), 0.0
            tie = t - last_post <= TIE_EPS
            s = prev_post if tie else last_post
            dw = eta * a_acausal * k_of(t - s) if s - last_pre > TIE_EPS else 0.0
            if tie:
                dw += half_tie
            w = clip(w + dw)
            prev_pre, last_pre = last_pre, t
            out.append(w)
    return pre_t, np.asarray(out)


def weight_at(times: np.ndarray, weights: np.ndarray, t: float, w0: float,
              lag: float = 0.0) -> float:
    """The weight a read-out at time t sees, given a ``sal_trajectory``: the value after the
    last pre spike processed by then. ``lag`` is how long after its emission the simulator
    processes a pre spike: NEURON's SALExpSyn the delay d, when the spike arrives (its
    weight adjuster StdwaSAL 0: its NetCons have delay 0); NEST min_delay, when it delivers
    the spike, at the start of the slice after the one it was emitted in (a read-out
    between runs sees the spikes delivered so far; exact for spikes on the time grid). Each
    is at most the synaptic delay, so the PSP at t_pre + d always uses the updated
    weight."""
    done = np.flatnonzero(times + lag <= t + TIE_EPS)
    return float(weights[done[-1]]) if len(done) else float(w0)
