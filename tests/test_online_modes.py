"""plasticity = "epoch" and "online" reach equivalent final metrics at matched learning rates
(spec.network.OnlineSAL: the same change per pair, applied at once instead of at the end of
the epoch), judged by the scenario's own equivalence margin (TOST at 5 %)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import shipped_backend
from scipy import stats

from salbench.protocols.feedback import FeedbackProtocol
from salbench.protocols.pair import PairProtocol

SEEDS = range(6)


def _finals(protocol_class: type, metric: str, plasticity: str, **params: object) -> list[float]:
    values = []
    for seed in SEEDS:
        backend = shipped_backend("reference")
        backend.setup(seed)
        protocol = protocol_class(protocol_class.Params(plasticity=plasticity, **params), seed)
        result = protocol.run(backend)
        assert result.notes["learning_path"] == ("online" if plasticity == "online"
                                                 else "host-rule")
        values.append(result.final[metric])
    return values


@pytest.mark.parametrize(("protocol_class", "metric", "params"), [
    (PairProtocol, "asymmetry", {"epochs": 30}),
    (FeedbackProtocol, "angle_deg", {"epochs": 60}),
], ids=["pair", "feedback"])
def test_online_and_epoch_sal_are_equivalent_on_the_reference_model(protocol_class, metric,
                                                                      params):
    epoch = _finals(protocol_class, metric, "epoch", **params)
    online = _finals(protocol_class, metric, "online", **params)
    margin = protocol_class.margins[metric if metric in protocol_class.margins else
                                    next(k for k in protocol_class.margins
                                         if metric.startswith(k.rstrip("*")))]
    assert not margin.relative
    # paired by seed (same initial weights, same random stream): a paired TOST, the two
    # one-sided t-tests of the per-seed differences against -margin and +margin
    diff = np.subtract(online, epoch)
    p_low = stats.ttest_1samp(diff, -margin.value, alternative="greater").pvalue
    p_high = stats.ttest_1samp(diff, margin.value, alternative="less").pvalue
    assert max(p_low, p_high) < 0.05, (epoch, online)
    # and both modes learned: the start is asymmetry 0.5 / an angle near 90°
    start = {"asymmetry": 0.5, "angle_deg": 85.0}[metric]
    assert max(epoch + online) < 0.6 * start
