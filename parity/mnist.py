"""MNIST from files the user already has. Nothing is downloaded.

``load(path)`` accepts
- Kaggle's ``train.csv``: a header row with a ``label`` column and 784 pixel columns, one image per row;
- the original IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte`` and the ``t10k-`` pair),
  gzipped or not: the path of one images file (its labels file is found beside it) or of a folder holding them;
- Keras's ``mnist.npz``: arrays ``x_train`` (m, 28, 28), ``y_train``, ``x_test``, ``y_test``.
Pixels 0..255 become [0, 1] and labels one-hot, in the reference layout X (784, m), Y (10, m). A missing or
malformed file raises ValueError saying what was expected.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np

from parity.dataset import Dataset, Split, one_hot

PIXELS = 784
IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def load(path) -> Split:
    path = Path(path)
    if not path.exists():
        raise ValueError(f"no such file or folder: {str(path)!r}")
    try:
        return _load(path)
    except OSError as error:  # permissions, a folder where a file was expected, a failing disk
        raise ValueError(f"cannot read {str(path)!r}: {error.strerror or error}") from None


def _load(path: Path) -> Split:
    if path.is_dir():
        return _idx_folder(path)
    name = path.name.lower()
    if name.endswith(".csv"):
        return Split(_csv(path))
    if name.endswith(".npz"):
        return _npz(path)
    if "idx" in name or name.endswith("-ubyte.gz"):
        return _idx_pair_from_images(path)
    raise ValueError(f"{str(path)!r} is not a MNIST file this reader knows: expected Kaggle's train.csv, "
                     f"Keras's mnist.npz, IDX files (train-images-idx3-ubyte[.gz]) or a folder holding them")


def _dataset(name: str, images: np.ndarray, labels: np.ndarray) -> Dataset:
    images = np.asarray(images)
    labels = np.asarray(labels).ravel()
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{name}: {images.shape[0]} images but {labels.shape[0]} labels")
    images = images.reshape(images.shape[0], -1)
    if images.shape[1] != PIXELS:
        raise ValueError(f"{name}: images have {images.shape[1]} pixels, expected 784 (28 x 28)")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise ValueError(f"{name}: pixel values must lie in 0..255, got {images.min()}..{images.max()}")
    if labels.size and (labels.min() < 0 or labels.max() > 9 or not np.all(labels == np.round(labels))):
        raise ValueError(f"{name}: labels must be the digits 0..9, got values from {labels.min()} to {labels.max()}")
    return Dataset(name, images.T.astype(np.float64) / 255.0, one_hot(labels.astype(np.int64), 10))


def _csv(path: Path) -> Dataset:
    with open(path, encoding="utf-8", errors="replace") as file:
        header = file.readline().strip().split(",")
    if "label" not in header:
        hint = " (Kaggle's test.csv has no labels; use train.csv)" if len(header) == PIXELS else ""
        raise ValueError(f"{path.name}: expected a header row with a 'label' column and 784 pixel columns, "
                         f"got {len(header)} columns starting {header[:3]}{hint}")
    if len(header) != PIXELS + 1:
        raise ValueError(f"{path.name}: expected 785 columns (label + 784 pixels), got {len(header)}")
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except ValueError as error:
        raise ValueError(f"{path.name}: not a numeric CSV table after the header ({error})") from None
    if table.shape[0] == 0:
        raise ValueError(f"{path.name}: no rows after the header")
    column = header.index("label")
    return _dataset(f"MNIST {path.name}", np.delete(table, column, axis=1), table[:, column])


def _npz(path: Path) -> Split:
    try:
        with np.load(path) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path.name}: not a readable .npz archive ({error})") from None
    missing = [key for key in ("x_train", "y_train") if key not in arrays]
    if missing:
        raise ValueError(f"{path.name}: expected arrays x_train, y_train (and x_test, y_test) as in Keras's "
                         f"mnist.npz, missing {missing}; found {sorted(arrays)}")
    train = _dataset(f"MNIST {path.name} (train)", arrays["x_train"], arrays["y_train"])
    test = None
    if "x_test" in arrays and "y_test" in arrays:
        test = _dataset(f"MNIST {path.name} (test)", arrays["x_test"], arrays["y_test"])
    return Split(train, test)


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (gzipped or not): magic 0x00 0x00 0x08 ndim, ndim big-endian sizes, unsigned bytes."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as file:
            raw = file.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path.name}: cannot read ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path.name}: not an IDX file of unsigned bytes (expected magic 00 00 08 0n, "
                         f"got {raw[:4].hex(' ') or 'an empty file'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path.name}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise ValueError(f"{path.name}: header says shape {shape} ({size} bytes) but {len(raw) - header} bytes follow")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz", folder / stem.replace("-idx", ".idx"),
                      folder / f"{stem.replace('-idx', '.idx')}.gz"):
        if candidate.exists():
            return candidate
    return None


def _idx_split(folder: Path, part: str) -> Dataset | None:
    images_name, labels_name = IDX_NAMES[part]
    images, labels = _find(folder, images_name), _find(folder, labels_name)
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        found = images or labels
        raise ValueError(f"{folder}: found {found.name} but not its partner "
                         f"({labels_name if images else images_name}[.gz])")
    return _dataset(f"MNIST {images.name}", read_idx(images), read_idx(labels))


def _idx_folder(folder: Path) -> Split:
    train = _idx_split(folder, "train")
    if train is None:
        raise ValueError(f"{folder}: no MNIST IDX files found; expected train-images-idx3-ubyte[.gz] and "
                         f"train-labels-idx1-ubyte[.gz] (and optionally the t10k- pair)")
    return Split(train, _idx_split(folder, "test"))


def _idx_pair_from_images(path: Path) -> Split:
    if "labels" in path.name:
        raise ValueError(f"{path.name} holds labels: give the images file, or the folder holding both")
    return _idx_folder(path.parent)
