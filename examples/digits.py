"""The UCI optdigits 8x8 handwritten digits, loaded with NumPy only.

The data (1,797 images, CC BY 4.0) lives in ``examples/data/digits.npz``; see
``examples/data/README.md`` for its licence, citation and format.

Example:
    >>> x, y = load_digits()
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((1797, 64), dtype('float64'), (1797,), dtype('int64'))
    >>> x_train, x_test, y_train, y_test = train_test_split(x, y)
    >>> x_train.shape, x_test.shape
    ((1438, 64), (359, 64))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA_PATH = Path(__file__).resolve().parent / "data" / "digits.npz"

# Each pixel counts the "on" pixels in a 4x4 block, so 16 is the largest value.
_MAX_PIXEL = 16


def load_digits(path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Loads the 1,797 handwritten digits.

    Args:
      path: the ``.npz`` file to read; defaults to ``examples/data/digits.npz``.

    Returns:
      ``(images, labels)``: ``images`` is float64 of shape ``(1797, 64)``, each row an 8x8
      image in row-major order with pixel values scaled from 0..16 to [0, 1]; ``labels`` is
      int64 of shape ``(1797,)`` with the digits 0..9.

    Example:
      >>> x, y = load_digits()
      >>> float(x.min()), float(x.max()), sorted(set(y.tolist())) == list(range(10))
      (0.0, 1.0, True)
    """
    with np.load(DATA_PATH if path is None else path, allow_pickle=False) as data:
        images = data["images"].astype(np.float64) / _MAX_PIXEL
        labels = data["labels"].astype(np.int64)
    return images, labels


def train_test_split(
    x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Splits examples into a fixed training set and a held-out test set.

    The same ``seed`` always gives the same split, so results are comparable between runs.

    Args:
      x: inputs, one example per row.
      y: targets, as many as ``x`` has rows.
      test_fraction: the share of examples held out, in ``(0, 1)``; the test set has
        ``round(test_fraction * len(x))`` examples.
      seed: seeds the random permutation that assigns examples to the two sets.

    Returns:
      ``(x_train, x_test, y_train, y_test)``, in scikit-learn's order.

    Raises:
      ValueError: if ``x`` and ``y`` differ in length, or ``test_fraction`` leaves either
        set empty.

    Example:
      >>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
      >>> x_train, x_test, y_train, y_test = train_test_split(x, y, test_fraction=0.4)
      >>> len(y_train), len(y_test), sorted(np.concatenate([y_train, y_test]).tolist())
      (3, 2, [0, 1, 2, 3, 4])
    """
    n = len(x)
    if len(y) != n:
        raise ValueError(
            f"train_test_split: x has {n} examples but y has {len(y)}; pass one target per example."
        )
    n_test = round(test_fraction * n)
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_fraction={test_fraction} puts {n_test} of {n} examples in "
            "the test set; choose a fraction that leaves both sets non-empty."
        )
    order = np.random.default_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return x[train], x[test], y[train], y[test]
