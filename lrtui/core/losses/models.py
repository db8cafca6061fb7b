"""Losses that train a classifier on a data set: multinomial logistic regression and an MLP.

Both wrap a DenseNetwork (see mlp.py for the parameter layout, the loss and
the l2 convention). Logistic regression is the network with no hidden layer:
torch's single nn.Linear(n_features, n_classes) followed by
nn.CrossEntropyLoss. Runs are processed in chunks so that scratch memory
stays bounded however many runs there are; each chunk is one stacked matmul
per layer.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from lrtui.core.losses.base import MAX_PARAMS, Loss, as_batch
from lrtui.core.losses.mlp import ACTIVATIONS, DenseNetwork, torch_linear_init

if TYPE_CHECKING:
    from lrtui.core.data import Dataset

CHUNK_BYTES = 16 * 2**20  # scratch memory per chunk of runs
MAX_RUN_SCRATCH = 256 * 2**20  # scratch memory one run may need (a chunk never holds less than one run)
MAX_HIDDEN_LAYERS = 64


def _check_whole(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _resolve_dataset(dataset, n_samples=None, noise=None, data_seed=0) -> Dataset:
    # Imported here: the data package imports the loss base module, so a
    # module-level import would make `lrtui.core.losses` and `lrtui.core.data` circular.
    from lrtui.core.data import Dataset, make_dataset

    if isinstance(dataset, str):
        return make_dataset(dataset, n_samples=n_samples, noise=noise, seed=_check_whole(data_seed, "data_seed", 0))
    if not isinstance(dataset, Dataset):
        raise ValueError(f"dataset must be a data set name or a Dataset, got {type(dataset).__name__}")
    return dataset


def _check_size(network: DenseNetwork, hidden: tuple, samples: int) -> None:
    """Refuse a network too large to train here, before any of it is allocated."""
    if network.n_params > MAX_PARAMS:
        raise ValueError(f"hidden makes a model with {network.n_params:,} parameters; at most {MAX_PARAMS:,} are "
                         "allowed: use narrower or fewer hidden layers")
    scratch = network.bytes_per_run(samples)
    if scratch > MAX_RUN_SCRATCH:
        raise ValueError(f"hidden: layers of {sum(hidden):,} units in all over {samples:,} samples need "
                         f"{scratch / 2**20:,.0f} MB of working memory per run; at most {MAX_RUN_SCRATCH // 2**20} MB "
                         "is allowed: use narrower or fewer hidden layers, or fewer samples (n_samples)")


class DenseClassifier(Loss):
    """A fully connected network with softmax cross-entropy on a data set's training split."""

    is_model = True
    exact_hessian = True
    minima = None
    min_value = None
    window = None  # the parameter space is not a plane; the data's window is dataset.window

    def __init__(self, dataset, hidden, activation: str, l2: float, batch_size: int | None, seed: int,
                 data_options: dict | None = None):
        self.dataset = _resolve_dataset(dataset, **(data_options or {}))
        if activation not in ACTIVATIONS:
            raise ValueError(f'activation must be one of {", ".join(ACTIVATIONS)}, got "{activation}"')
        l2 = float(l2)
        if not np.isfinite(l2) or l2 < 0:
            raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
        self.l2 = l2
        # 0 (as a scenario file says it, TOML having no null) or None: the full batch.
        self.batch_size = None if batch_size in (None, 0) else _check_whole(batch_size, "batch_size", 1)
        self.seed = _check_whole(seed, "seed", 0)
        self.activation: str | None = activation  # None for logistic regression, which has no hidden layer
        self.hidden = tuple(hidden)
        data = self.dataset
        self.network = DenseNetwork((data.n_features, *self.hidden, data.n_classes), activation, l2)
        _check_size(self.network, self.hidden, max(data.n_train, data.n_test))
        self.sizes = self.network.sizes
        self.layers = self.network.layers
        self.n_params = self.network.n_params
        self.start = torch_linear_init(self.layers, self.seed)
        self.n_train = data.n_train
        self.n_classes = data.n_classes
        self._onehot_train = np.ascontiguousarray(np.eye(data.n_classes)[data.y_train].T)

    def describe(self) -> str:
        shape = "-".join(str(s) for s in self.sizes)
        act = f" {self.activation}" if self.hidden else ""
        return f"{self.name} {shape}{act} on {self.dataset.name}"

    def value_and_grad(self, params, batch=None):
        params = as_batch(params)
        x, labels, onehot = self._samples(batch)
        value = np.empty(params.shape[0])
        grad = np.empty(params.shape)
        with np.errstate(all="ignore"):
            for rows in self._chunks(params.shape[0], x.shape[0]):
                value[rows] = self.network.backprop(params[rows], x, labels, onehot, grad[rows])
        return value, grad

    def value(self, params, batch=None):
        params = as_batch(params)
        x, labels, _ = self._samples(batch)
        value = np.empty(params.shape[0])
        with np.errstate(all="ignore"):
            for rows in self._chunks(params.shape[0], x.shape[0]):
                sub = params[rows]
                losses = self.network.cross_entropy(self.network.forward(sub, x), labels)
                value[rows] = losses.mean(axis=1) + self.network.penalty(sub)
        return value

    def hvp(self, params, vectors, batch=None):
        """Exact Hessian-vector products (R, n) by the R-operator."""
        params = as_batch(params)
        vectors = np.asarray(vectors, dtype=np.float64).reshape(params.shape)
        x, labels, onehot = self._samples(batch)
        out = np.empty(params.shape)
        with np.errstate(all="ignore"):
            for rows in self._chunks(params.shape[0], x.shape[0]):
                out[rows] = self.network.r_backprop(params[rows], vectors[rows], x, labels, onehot)
        return out

    def evaluate(self, params) -> dict[str, np.ndarray]:
        """Data loss (mean cross-entropy, no l2 term) and accuracy on the train and test sets, each (R,)."""
        params = as_batch(params)
        data = self.dataset
        metrics = {}
        with np.errstate(all="ignore"):
            for split, x, labels in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
                loss, accuracy = np.empty(params.shape[0]), np.empty(params.shape[0])
                for rows in self._chunks(params.shape[0], x.shape[0]):
                    buffers = self.network.forward(params[rows], x)
                    accuracy[rows] = (buffers.pre[-1].argmax(axis=1) == labels).mean(axis=1)
                    loss[rows] = self.network.cross_entropy(buffers, labels).mean(axis=1)
                metrics[f"{split}_loss"], metrics[f"{split}_accuracy"] = loss, accuracy
        return metrics

    def predict_proba(self, params, points) -> np.ndarray:
        """Class probabilities (R, m, n_classes) at `points` (m, n_features), e.g. a grid for decision regions."""
        params = as_batch(params)
        points = np.ascontiguousarray(points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != self.dataset.n_features:
            raise ValueError(f"points must have shape (m, {self.dataset.n_features}), got {points.shape}")
        out = np.empty((params.shape[0], points.shape[0], self.n_classes))
        with np.errstate(all="ignore"):
            for rows in self._chunks(params.shape[0], points.shape[0]):
                logits = self.network.forward(params[rows], points).pre[-1]
                exp = np.exp(logits - logits.max(axis=1, keepdims=True))
                out[rows] = (exp / exp.sum(axis=1, keepdims=True)).transpose(0, 2, 1)
        return out

    def _samples(self, batch):
        data = self.dataset
        if batch is None:
            return data.x_train, data.y_train, self._onehot_train
        batch = np.asarray(batch)
        return data.x_train[batch], data.y_train[batch], self._onehot_train[:, batch]

    def _chunks(self, runs: int, samples: int) -> list[slice]:
        size = max(1, CHUNK_BYTES // self.network.bytes_per_run(samples))
        return [slice(lo, min(lo + size, runs)) for lo in range(0, runs, size)]


class LogisticRegression(DenseClassifier):
    """Multinomial logistic regression (softmax cross-entropy on one linear layer).

    Parameters: the weight matrix (n_classes, n_features) row-major, then the
    bias (n_classes,). `batch_size` None trains on the full training set.
    """

    name = "logistic_regression"

    def __init__(self, dataset, l2: float = 0.0, batch_size: int | None = None, seed: int = 0,
                 n_samples: int | None = None, noise: float | None = None, data_seed: int = 0):
        options = {"n_samples": n_samples, "noise": noise, "data_seed": data_seed}
        super().__init__(dataset, (), "relu", l2, batch_size, seed, options)
        self.activation = None  # no hidden layer, so nothing is activated


class MLP(DenseClassifier):
    """A multilayer perceptron: Linear, activation, ..., Linear, then softmax cross-entropy.

    `hidden` lists the hidden layer widths, e.g. (32,) or (64, 32). Like
    torch's nn.Sequential of nn.Linear layers with default initialisation
    drawn from `seed`. `batch_size` None trains on the full training set.
    """

    name = "mlp"

    def __init__(
        self,
        dataset,
        hidden=(32,),
        activation: str = "relu",
        l2: float = 0.0,
        batch_size: int | None = None,
        seed: int = 0,
        n_samples: int | None = None,
        noise: float | None = None,
        data_seed: int = 0,
    ):
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if not isinstance(hidden, (list, tuple)) or not hidden:
            raise ValueError(f"hidden must be a non-empty list of layer widths such as [32], got {hidden!r}")
        if len(hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"hidden must list at most {MAX_HIDDEN_LAYERS} layers, got {len(hidden)}")
        widths = tuple(_check_whole(w, "each hidden layer width", 1) for w in hidden)
        options = {"n_samples": n_samples, "noise": noise, "data_seed": data_seed}
        super().__init__(dataset, widths, activation, l2, batch_size, seed, options)


__all__ = ["ACTIVATIONS", "MLP", "DenseClassifier", "LogisticRegression"]
