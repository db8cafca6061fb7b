"""Data sets (bundled digits, seeded 2-D sets) and the mini-batch sampler."""

import math

import numpy as np
import pytest

from lrtui.core.batching import BatchSampler
from lrtui.core.data import DATASETS, Dataset, load_digits, make_dataset
from lrtui.core.data.synthetic import DEFAULT_NOISE, INNER_RADIUS, RING, WINDOW

SYNTHETIC = ["circles", "xor", "gaussians", "spiral"]
# Class sizes of the UCI digits as scikit-learn ships them.
DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def sorted_rows(x: np.ndarray) -> np.ndarray:
    return x[np.lexsort(x.T[::-1])]


# -- digits -------------------------------------------------------------------
def test_digits_are_the_uci_set_scaled_to_unit_range():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.array_equal(x * 16, np.round(x * 16))  # stored pixel values were whole numbers 0..16
    assert np.bincount(y).tolist() == DIGIT_COUNTS


def test_digits_split_is_stratified_complete_and_seeded():
    data = make_dataset("digits")
    assert (data.n_classes, data.n_features, data.window) == (10, 64, None)
    assert data.n_train + data.n_test == 1797
    assert np.bincount(data.y_test).tolist() == [round(0.2 * c) for c in DIGIT_COUNTS]
    x, y = load_digits()
    together = np.column_stack([np.vstack([data.x_train, data.x_test]), np.concatenate([data.y_train, data.y_test])])
    assert np.array_equal(sorted_rows(together), sorted_rows(np.column_stack([x, y])))
    again = make_dataset("digits", seed=0)
    assert np.array_equal(again.x_train, data.x_train) and np.array_equal(again.y_test, data.y_test)
    other = make_dataset("digits", seed=1)
    assert not np.array_equal(other.y_train, data.y_train)


def test_dataset_arrays_are_read_only_and_contiguous():
    data = make_dataset("digits")
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        assert not array.flags.writeable and array.flags.c_contiguous
    with pytest.raises(ValueError):
        data.x_train[0, 0] = 5.0


# -- synthetic ----------------------------------------------------------------
@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_shapes_balance_and_window(name):
    data = make_dataset(name)
    assert isinstance(data, Dataset) and data.name == name
    assert data.x_train.shape == (320, 2) and data.x_test.shape == (80, 2)
    assert (data.n_classes, data.n_features, data.window) == (2, 2, WINDOW)
    labels = np.concatenate([data.y_train, data.y_test])
    assert set(labels.tolist()) == {0, 1}
    points = np.vstack([data.x_train, data.x_test])
    inside = np.all((points >= WINDOW.x_min) & (points <= WINDOW.x_max), axis=1)
    # Gaussian blobs have unbounded tails: a rare point may fall outside the frame.
    assert inside.mean() >= (0.99 if name == "gaussians" else 1.0)
    if name != "xor":  # xor's classes follow the quadrants, so they need not be equal
        assert np.bincount(labels).tolist() == [200, 200]
        assert np.bincount(data.y_test).tolist() == [40, 40]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_sets_are_a_function_of_the_seed(name):
    a, b = make_dataset(name, seed=3), make_dataset(name, seed=3)
    c = make_dataset(name, seed=4)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)


def test_noiseless_shapes_are_exact():
    circles = make_dataset("circles", n_samples=500, noise=0.0)
    radius = np.hypot(*circles.x_train.T)
    assert np.all(radius[circles.y_train == 0] <= INNER_RADIUS)
    outer = radius[circles.y_train == 1]
    assert np.all((outer >= RING[0]) & (outer <= RING[1]))

    xor = make_dataset("xor", n_samples=500, noise=0.0)
    assert np.array_equal(xor.y_train, (xor.x_train[:, 0] * xor.x_train[:, 1] < 0).astype(int))
    assert np.min(np.abs(xor.x_train)) > 0.04  # kept off the axes

    spiral = make_dataset("spiral", n_samples=500, noise=0.0)
    assert np.all(np.hypot(*spiral.x_train.T) <= 1.0)


def test_gaussians_noise_is_the_blob_spread():
    data = make_dataset("gaussians", n_samples=4000, noise=0.2)
    for label, sign in ((0, -1), (1, 1)):
        blob = data.x_train[data.y_train == label]
        assert np.allclose(blob.mean(axis=0), sign * 0.4, atol=0.03)
        assert np.allclose(blob.std(axis=0), 0.2, rtol=0.1)


def test_noise_moves_points_and_defaults_apply():
    clean = make_dataset("circles", noise=0.0, seed=5)
    default = make_dataset("circles", seed=5)
    explicit = make_dataset("circles", noise=DEFAULT_NOISE["circles"], seed=5)
    assert not np.array_equal(clean.x_train, default.x_train)
    assert np.array_equal(default.x_train, explicit.x_train)


def test_odd_sample_counts_and_test_fraction():
    data = make_dataset("spiral", n_samples=101, test_fraction=0.5)
    assert data.n_train + data.n_test == 101
    assert np.bincount(data.y_test).tolist() == [25, 26]  # round(0.5 * 50) and round(0.5 * 51): half to even


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "circle"}, 'did you mean "circles"'),
        ({"name": "circles", "n_samples": 5}, "n_samples must be a whole number >= 10"),
        ({"name": "circles", "n_samples": 20.5}, "n_samples"),
        ({"name": "xor", "noise": -0.1}, "noise must be a finite number >= 0"),
        ({"name": "xor", "seed": -1}, "seed must be a whole number >= 0"),
        ({"name": "digits", "n_samples": 100}, "leave n_samples and noise unset"),
        ({"name": "spiral", "test_fraction": 1.0}, "test_fraction must be between 0 and 1"),
    ],
)
def test_bad_parameters_say_what_is_allowed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_dataset(**kwargs)


def test_every_listed_dataset_builds():
    assert set(DATASETS) == {"digits", *SYNTHETIC}


# -- mini-batches -------------------------------------------------------------
def test_each_epoch_visits_every_sample_once_in_torch_sized_batches():
    sampler = BatchSampler(103, 10, seed=7)
    assert sampler.batches_per_epoch == 11
    for epoch in range(3):
        batches = [sampler.indices(epoch * 11 + k) for k in range(11)]
        assert [b.size for b in batches] == [10] * 10 + [3]  # drop_last=False
        order = np.concatenate(batches)
        assert np.array_equal(np.sort(order), np.arange(103))
        assert np.array_equal(order, np.random.default_rng([7, epoch]).permutation(103))


def test_batches_are_a_closed_form_function_of_the_step():
    walked = BatchSampler(50, 8, seed=1)
    sequence = [walked.indices(step).copy() for step in range(40)]
    jumping = BatchSampler(50, 8, seed=1)
    for step in np.random.default_rng(0).permutation(40):
        assert np.array_equal(jumping.indices(int(step)), sequence[step])
    assert walked.epoch_of(13) == 1
    first, second = np.concatenate(sequence[:7]), np.concatenate(sequence[7:14])
    assert not np.array_equal(first, second)
    assert not np.array_equal(BatchSampler(50, 8, seed=2).indices(0), sequence[0])


def test_returned_batches_cannot_corrupt_the_cache():
    batch = BatchSampler(20, 5, seed=0).indices(0)
    with pytest.raises(ValueError):
        batch[0] = 3


@pytest.mark.parametrize("batch_size", [None, 64, 1000])
def test_full_batch_gives_none(batch_size):
    sampler = BatchSampler(64, batch_size, seed=0)
    assert sampler.full_batch and sampler.batches_per_epoch == 1
    assert sampler.indices(0) is None and sampler.indices(5) is None


@pytest.mark.parametrize(
    "args, message",
    [((10, 0, 0), "batch_size must be a whole number >= 1"), ((0, 5, 0), "n_samples"), ((10, 5, -2), "seed")],
)
def test_sampler_rejects_bad_settings(args, message):
    with pytest.raises(ValueError, match=message):
        BatchSampler(*args)


def test_sampler_rejects_negative_steps():
    with pytest.raises(ValueError, match="step must be a whole number >= 0"):
        BatchSampler(10, 3, 0).indices(-1)
    assert math.ceil(10 / 3) == BatchSampler(10, 3, 0).batches_per_epoch
