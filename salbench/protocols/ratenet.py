"""A small rate-based network trained with errors sent down through feedback matrices B (pure
numpy; the task epochs of the `task` scenario, design.md 1.3).

Layers: x = h_0 -> h_1 -> ... -> h_L, h_l = tanh(W_l h_{l-1} + b_l) for the hidden layers and
softmax logits at the top, cross-entropy loss. Backprop sends the output error
δ_L = softmax − onehot down as δ_{l-1} = (W_lᵀ δ_l) ⊙ tanh'(a_{l-1}); here Wᵀ is replaced by a
feedback matrix F_l of the same shape: F_l = W_lᵀ is backprop, a fixed random F_l is feedback
alignment (Lillicrap et al. 2016), F_l learned by SAL is the paper's alternating schedule.
The input layer needs no feedback (nothing below it learns from an error), so F_1 is unused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    # imported here: scikit-learn costs ~1 s of start-up, and only this scenario needs it
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    # 8x8 images of 4-bit grey values: scaled to [0, 1] by the maximum 16
    return np.asarray(X, dtype=float) / 16.0, np.asarray(y, dtype=int)


@dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def digits(test_fraction: float = 0.25, split_seed: int = 0) -> Dataset:
    """scikit-learn's bundled handwritten digits (1797 8x8 images, 10 classes; ships inside the
    package, nothing downloads), split once, stratified, by `split_seed` alone: every run,
    seed and variant sees the same train and test sets."""
    from sklearn.model_selection import train_test_split

    X, y = _digits()
    xtr, xte, ytr, yte = train_test_split(X, y, test_size=test_fraction,
                                          random_state=split_seed, stratify=y)
    return Dataset(xtr, ytr, xte, yte)


@dataclass
class RateNetwork:
    """weights[l]: [out, in] of layer l+1; biases[l]: [out]."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @classmethod
    def initial(cls, sizes: Sequence[int], rng: np.random.Generator) -> RateNetwork:
        """W_l ~ U(±√(3/fan_in)) (entry variance 1/fan_in keeps tanh units out of saturation
        at the start), b_l = 0."""
        weights = [rng.uniform(-1.0, 1.0, (o, i)) * math.sqrt(3.0 / i)
                   for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
        return cls(weights, [np.zeros(o) for o in sizes[1:]])

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.weights[0].shape[1], *(w.shape[0] for w in self.weights))

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """[x, h_1, ..., h_{L-1}, logits]."""
        hs = [x]
        last = len(self.weights) - 1
        for layer, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            a = hs[-1] @ W.T + b
            hs.append(a if layer == last else np.tanh(a))
        return hs

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean softmax cross-entropy."""
        return float(np.mean(_cross_entropy(self.forward(x)[-1], y)))

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.argmax(self.forward(x)[-1], axis=1) == y))

    def gradients(self, x: np.ndarray, y: np.ndarray,
                  feedback: Sequence[np.ndarray | None] | None = None,
                  ) -> tuple[list[np.ndarray], list[np.ndarray], float]:
        """(dW, db, loss) of the mean cross-entropy over the batch, the error sent from layer
        l+1 down to layer l through feedback[l] (shape of weights[l].T; None or a missing list
        is Wᵀ: exact backprop). feedback[0] is never used."""
        hs = self.forward(x)
        logits = hs[-1]
        p = _softmax(logits)
        n = x.shape[0]
        delta = p.copy()
        delta[np.arange(n), y] -= 1.0
        delta /= n
        dW: list[np.ndarray] = [np.empty(0)] * len(self.weights)
        db: list[np.ndarray] = [np.empty(0)] * len(self.weights)
        for layer in reversed(range(len(self.weights))):
            dW[layer] = delta.T @ hs[layer]
            db[layer] = delta.sum(axis=0)
            if layer == 0:
                break
            F = feedback[layer] if feedback is not None else None
            down = self.weights[layer].T if F is None else F
            # tanh'(a) = 1 − tanh(a)²
            delta = (delta @ down.T) * (1.0 - hs[layer] ** 2)
        return dW, db, float(np.mean(_cross_entropy(logits, y)))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]


@dataclass
class Adam:
    """Adam (Kingma & Ba 2015), the one optimiser of every variant. Its per-parameter step
    normalisation also makes training insensitive to the overall scale of B."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    t: int = 0
    m: list[np.ndarray] = field(default_factory=list)
    v: list[np.ndarray] = field(default_factory=list)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update `params` in place."""
        if not self.m:
            self.m = [np.zeros_like(q) for q in params]
            self.v = [np.zeros_like(q) for q in params]
        self.t += 1
        c1, c2 = 1.0 - self.beta1 ** self.t, 1.0 - self.beta2 ** self.t
        for q, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * g * g
            q -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def train_epoch(net: RateNetwork, opt: Adam, data: Dataset, batch_size: int,
                feedback: Sequence[np.ndarray | None] | None,
                rng: np.random.Generator) -> float:
    """One pass over the training set in shuffled minibatches; the mean training loss."""
    order = rng.permutation(len(data.y_train))
    losses = []
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        dW, db, loss = net.gradients(data.x_train[idx], data.y_train[idx], feedback)
        opt.step([*net.weights, *net.biases], [*dW, *db])
        losses.append(loss * len(idx))
    return float(np.sum(losses) / len(order))
