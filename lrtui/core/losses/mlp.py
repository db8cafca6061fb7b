"""The arithmetic of fully connected softmax classifiers, for R parameter vectors at once.

Parameter layout (one run's flat float64 vector): layer by layer from the
input, each layer's weight matrix of shape (fan_out, fan_in) in row-major
order, then its bias (fan_out,). This is the order and shape of
`torch.cat([p.flatten() for p in nn.Sequential(...).parameters()])`.

Loss per run: the mean softmax cross-entropy over the samples, plus
(l2 / 2) * (sum of squared weights) when l2 > 0. Biases are not penalised
(textbook L2 regularisation); an optimizer's weight_decay, as in torch,
decays every parameter, biases included.

Gradients are exact (backpropagation) and so are Hessian-vector products
(the R-operator, a forward-mode pass through the backward pass), at about
three times the cost of a gradient. ReLU's second derivative is taken as 0,
as torch's double backward does. Samples are passed as x (m, n_features).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid")
MAX_BUFFER_SHAPES = 4  # full batch, last short mini-batch, test set, one spare


@dataclass(frozen=True)
class Layer:
    fan_in: int
    fan_out: int
    weight: slice  # columns of the flat parameter vector
    bias: slice


def dense_layout(sizes: tuple[int, ...]) -> list[Layer]:
    layers, offset = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        weight = slice(offset, offset + fan_in * fan_out)
        bias = slice(weight.stop, weight.stop + fan_out)
        layers.append(Layer(fan_in, fan_out, weight, bias))
        offset = bias.stop
    return layers


def torch_linear_init(layers: list[Layer], seed: int) -> np.ndarray:
    """Like torch.nn.Linear's default: weights and biases uniform in +-1/sqrt(fan_in)."""
    rng = np.random.default_rng(seed)
    flat = np.empty(layers[-1].bias.stop)
    for layer in layers:
        bound = 1.0 / np.sqrt(layer.fan_in)
        flat[layer.weight] = rng.uniform(-bound, bound, layer.fan_in * layer.fan_out)
        flat[layer.bias] = rng.uniform(-bound, bound, layer.fan_out)
    return flat


def _activate(kind: str, z: np.ndarray, out: np.ndarray) -> np.ndarray:
    if kind == "relu":
        return np.maximum(z, 0.0, out=out)
    if kind == "tanh":
        return np.tanh(z, out=out)
    np.negative(z, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _slope(kind: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """First derivative of the activation, from its input z and output a."""
    if kind == "relu":
        return (z > 0).astype(np.float64)
    if kind == "tanh":
        return 1.0 - a * a
    return a * (1.0 - a)


def _slope_into(kind: str, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """_slope's numbers for tanh or sigmoid, to the bit, from the output `a`, written over `out` (the pre-activation,
    which backprop no longer needs): without the two temporaries the size of a layer that _slope makes per call."""
    if kind == "tanh":
        np.multiply(a, a, out=out)
        return np.subtract(1.0, out, out=out)  # 1 - a*a
    np.subtract(1.0, a, out=out)
    return np.multiply(a, out, out=out)  # a * (1 - a)


def _curvature(kind: str, a: np.ndarray, slope: np.ndarray) -> np.ndarray | None:
    """Second derivative of the activation; None where it is zero (ReLU)."""
    if kind == "relu":
        return None
    if kind == "tanh":
        return -2.0 * a * slope
    return slope * (1.0 - 2.0 * a)


class _Buffers:
    """Scratch arrays for one (runs, samples) shape, reused across calls.

    Activations are stored feature-major, (runs, width, samples): reductions
    over classes and sums over samples then run along long contiguous rows,
    and reusing the buffers spares the allocator and page faults that
    otherwise cost as much as the arithmetic at these sizes.
    """

    def __init__(self, runs: int, samples: int, widths: tuple[int, ...]):
        self.pre = [np.empty((runs, w, samples)) for w in widths]
        self.post = [np.empty((runs, w, samples)) for w in widths[:-1]]
        self.back = [np.empty((runs, w, samples)) for w in widths]
        self.mask = [np.empty((runs, w, samples), dtype=bool) for w in widths[:-1]]
        self.column = np.empty((runs, 1, samples))
        self.columns = np.arange(samples)


class DenseNetwork:
    """Layer sizes (n_features, *hidden, n_classes), an activation and an l2 weight.

    Not thread-safe: scratch buffers are shared between calls.
    """

    def __init__(self, sizes: tuple[int, ...], activation: str, l2: float):
        self.sizes = tuple(sizes)
        self.activation = activation
        self.l2 = float(l2)
        self.layers = dense_layout(self.sizes)
        self.n_params = self.layers[-1].bias.stop
        self._buffers: dict[tuple[int, int], _Buffers] = {}

    def bytes_per_run(self, samples: int) -> int:
        """Scratch memory one run needs for `samples` samples (about four arrays per layer)."""
        return 8 * samples * sum(self.sizes[1:]) * 4

    def scratch(self, runs: int, samples: int) -> _Buffers:
        key = (runs, samples)
        if key not in self._buffers:
            if len(self._buffers) >= MAX_BUFFER_SHAPES:
                self._buffers.pop(next(iter(self._buffers)))
            self._buffers[key] = _Buffers(runs, samples, self.sizes[1:])
        return self._buffers[key]

    @staticmethod
    def matrix(flat: np.ndarray, layer: Layer) -> np.ndarray:
        """The (R, fan_out, fan_in) weight matrices of `layer`, a view into `flat`."""
        return flat[:, layer.weight].reshape(flat.shape[0], layer.fan_out, layer.fan_in)

    def penalty(self, params: np.ndarray) -> np.ndarray | float:
        if self.l2 == 0.0:
            return 0.0
        squares = sum(np.einsum("ij,ij->i", params[:, l.weight], params[:, l.weight]) for l in self.layers)
        return 0.5 * self.l2 * squares

    def forward(self, params, x) -> _Buffers:
        """Fills the buffers' pre-activations (logits last) and hidden activations."""
        buffers = self.scratch(params.shape[0], x.shape[0])
        inputs = x.T
        for i, layer in enumerate(self.layers):
            z = np.matmul(self.matrix(params, layer), inputs, out=buffers.pre[i])
            z += params[:, layer.bias, None]
            if i < len(self.layers) - 1:
                inputs = _activate(self.activation, z, buffers.post[i])
        return buffers

    @staticmethod
    def cross_entropy(buffers: _Buffers, labels) -> np.ndarray:
        """Per-sample loss (R, m); leaves exp(logits - max) in back[-1] and its column sums in `column`."""
        logits, shifted, column = buffers.pre[-1], buffers.back[-1], buffers.column
        np.max(logits, axis=1, keepdims=True, out=column)
        np.subtract(logits, column, out=shifted)
        picked = shifted[:, labels, buffers.columns]
        np.exp(shifted, out=shifted)
        np.sum(shifted, axis=1, keepdims=True, out=column)
        return np.log(column[:, 0, :]) - picked

    def backprop(self, params, x, labels, onehot, grad_out) -> np.ndarray:
        """Loss (R,); writes the gradient into grad_out (R, n).

        x is (m, n_features), labels (m,) class indices, onehot (n_classes, m).
        """
        buffers = self.forward(params, x)
        losses = self.cross_entropy(buffers, labels)
        g = buffers.back[-1]
        g /= buffers.column
        g -= onehot
        g *= 1.0 / x.shape[0]  # g is now dLoss/dlogits, (R, classes, m)
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            weights = self.matrix(params, layer)
            inputs = x if i == 0 else buffers.post[i - 1].transpose(0, 2, 1)
            gw = np.matmul(g, inputs, out=self.matrix(grad_out, layer))
            if self.l2:
                gw += self.l2 * weights
            np.sum(g, axis=2, out=grad_out[:, layer.bias])
            if i > 0:
                upstream = np.matmul(weights.transpose(0, 2, 1), g, out=buffers.back[i - 1])
                if self.activation == "relu":
                    upstream *= np.greater(buffers.pre[i - 1], 0.0, out=buffers.mask[i - 1])
                else:
                    upstream *= _slope_into(self.activation, buffers.post[i - 1], buffers.pre[i - 1])
                g = upstream
        return losses.mean(axis=1) + self.penalty(params)

    def r_backprop(self, params, vectors, x, labels, onehot) -> np.ndarray:
        """Hessian-vector products by the R-operator: R{v} = d/dt v(params + t vectors) at t = 0."""
        buffers = self.forward(params, x)
        kind, n_layers = self.activation, len(self.layers)
        inputs = [x.T] + buffers.post
        r_inputs: list[np.ndarray | None] = [None]  # R{input} of each layer: none for the data
        slopes, curves, r_pre = [], [], []
        for i, layer in enumerate(self.layers):
            rz = np.matmul(self.matrix(vectors, layer), inputs[i])
            rz += vectors[:, layer.bias, None]
            r_input = r_inputs[i]
            if r_input is not None:
                rz += np.matmul(self.matrix(params, layer), r_input)
            r_pre.append(rz)
            if i < n_layers - 1:
                slope = _slope(kind, buffers.pre[i], inputs[i + 1])
                slopes.append(slope)
                curves.append(_curvature(kind, inputs[i + 1], slope))
                r_inputs.append(slope * rz)
        self.cross_entropy(buffers, labels)
        probs = buffers.back[-1] / buffers.column
        scale = 1.0 / x.shape[0]
        g = (probs - onehot) * scale
        rz = r_pre[-1]
        rg = probs * (rz - (probs * rz).sum(axis=1, keepdims=True)) * scale
        out = np.empty(params.shape)
        for i in range(n_layers - 1, -1, -1):
            layer = self.layers[i]
            weights, v_weights = self.matrix(params, layer), self.matrix(vectors, layer)
            hw = np.matmul(rg, inputs[i].swapaxes(-1, -2))
            r_input = r_inputs[i]
            if r_input is not None:
                hw += np.matmul(g, r_input.transpose(0, 2, 1))
            if self.l2:
                hw += self.l2 * v_weights
            out[:, layer.weight] = hw.reshape(hw.shape[0], -1)
            out[:, layer.bias] = rg.sum(axis=2)
            if i > 0:
                back_weights = weights.transpose(0, 2, 1)
                upstream = np.matmul(back_weights, g)
                r_upstream = np.matmul(back_weights, rg) + np.matmul(v_weights.transpose(0, 2, 1), g)
                g = upstream * slopes[i - 1]
                rg = r_upstream * slopes[i - 1]
                if curves[i - 1] is not None:
                    rg += upstream * curves[i - 1] * r_pre[i - 1]
        return out
