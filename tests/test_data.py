"""Data: built-in sets and MNIST in each of its file formats, written small by the tests themselves."""

import gzip

import numpy as np
import pytest

from parity import data, mnist

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8)
LABELS = np.array([3, 0, 9, 1, 3], dtype=np.uint8)


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.tobytes()


def write_idx(folder, gz: bool, with_test: bool = True):
    parts = {"train-images-idx3-ubyte": IMAGES, "train-labels-idx1-ubyte": LABELS}
    if with_test:
        parts |= {"t10k-images-idx3-ubyte": IMAGES[:2], "t10k-labels-idx1-ubyte": LABELS[:2]}
    for name, array in parts.items():
        if gz:
            with gzip.open(folder / f"{name}.gz", "wb") as file:
                file.write(idx_bytes(array))
        else:
            (folder / name).write_bytes(idx_bytes(array))


def check_layout(dataset, m=5, labels=LABELS):
    assert dataset.X.shape == (784, m) and dataset.Y.shape == (10, m)
    assert dataset.X.min() >= 0 and dataset.X.max() <= 1
    np.testing.assert_array_equal(dataset.Y.argmax(axis=0), labels[:m])
    np.testing.assert_array_equal(dataset.Y.sum(axis=0), np.ones(m))
    # pixel (row 0, column 1) of image 0 is element 1 of its column: row-major flattening, scaled by 1/255
    assert dataset.X[1, 0] == IMAGES[0, 0, 1] / 255


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzipped"])
def test_idx_folder_gives_train_and_test(tmp_path, gz):
    write_idx(tmp_path, gz)
    split = mnist.load(tmp_path)
    check_layout(split.train)
    check_layout(split.test, m=2)


def test_idx_images_file_finds_its_labels(tmp_path):
    write_idx(tmp_path, gz=True, with_test=False)
    split = mnist.load(tmp_path / "train-images-idx3-ubyte.gz")
    check_layout(split.train)
    assert split.test is None


def test_kaggle_csv(tmp_path):
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    rows = [",".join(map(str, [label, *image.ravel()])) for label, image in zip(LABELS, IMAGES, strict=True)]
    (tmp_path / "train.csv").write_text("\n".join([header, *rows]) + "\n")
    check_layout(mnist.load(tmp_path / "train.csv").train)


def test_keras_npz(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=IMAGES, y_train=LABELS, x_test=IMAGES[:2], y_test=LABELS[:2])
    split = mnist.load(tmp_path / "mnist.npz")
    check_layout(split.train)
    check_layout(split.test, m=2)


def test_kaggle_test_csv_without_labels_gets_a_hint(tmp_path):
    (tmp_path / "test.csv").write_text(",".join(f"pixel{i}" for i in range(784)) + "\n" + ",".join(["0"] * 784))
    with pytest.raises(ValueError, match=r"Kaggle's test.csv has no labels; use train.csv"):
        mnist.load(tmp_path / "test.csv")


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00\x0d\x03rest", r"not an IDX file of unsigned bytes \(expected magic 00 00 08 0n, got 00 00 0d 03\)"),
    (idx_bytes(IMAGES)[:-10], r"header says shape \(5, 28, 28\) \(3920 bytes\) but 3910 bytes follow"),
    (b"", r"got an empty file"),
], ids=["bad-magic", "truncated", "empty"])
def test_malformed_idx_says_what_was_expected(tmp_path, content, message):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(content)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(LABELS))
    with pytest.raises(ValueError, match=message):
        mnist.load(tmp_path)


def test_idx_images_without_labels_are_refused(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(IMAGES))
    with pytest.raises(ValueError, match=r"found train-images-idx3-ubyte but not its partner"):
        mnist.load(tmp_path)


def test_count_mismatch_is_refused(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=IMAGES, y_train=LABELS[:4])
    with pytest.raises(ValueError, match=r"5 images but 4 labels"):
        mnist.load(tmp_path / "mnist.npz")


def test_npz_without_the_keras_arrays_is_refused(tmp_path):
    np.savez(tmp_path / "mnist.npz", images=IMAGES)
    with pytest.raises(ValueError, match=r"expected arrays x_train, y_train .* missing \['x_train', 'y_train'\]"):
        mnist.load(tmp_path / "mnist.npz")


@pytest.mark.parametrize("name, message", [
    ("nowhere/train.csv", r"no such file or folder"),
    ("notes.txt", r"not a MNIST file this reader knows"),
], ids=["missing", "unknown-format"])
def test_missing_or_unknown_files_are_named(tmp_path, name, message):
    if name == "notes.txt":
        (tmp_path / name).write_text("hello")
    with pytest.raises(ValueError, match=message):
        mnist.load(tmp_path / name)


def test_empty_folder_says_which_files_it_looked_for(tmp_path):
    with pytest.raises(ValueError, match=r"no MNIST IDX files found; expected train-images-idx3-ubyte\[.gz\]"):
        mnist.load(tmp_path)


def test_digits_ship_with_scikit_learn():
    pytest.importorskip("sklearn")
    digits = data.digits()
    assert digits.X.shape == (64, 1797) and digits.Y.shape == (10, 1797)
    assert digits.X.min() == 0 and digits.X.max() == 1


@pytest.mark.parametrize("name", ["planar", "xor"])
def test_generated_sets_are_seeded_two_class_rows(name):
    a, b = data.load(name), data.load(name)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape[0] == 2 and a.Y.shape == (1, a.m) and set(np.unique(a.Y)) == {0.0, 1.0}


def test_held_out_split_is_seeded_and_disjoint():
    split = data.Split(data.load("xor")).held_out(0.25, seed=3)
    assert split.train.m == 150 and split.test.m == 50
    again = data.Split(data.load("xor")).held_out(0.25, seed=3)
    np.testing.assert_array_equal(split.test.X, again.test.X)


def test_unknown_source_lists_the_built_in_sets():
    with pytest.raises(ValueError, match=r"unknown data 'cifar': not a built-in data set \(planar, xor, digits\)"):
        data.load_source("cifar")


def test_an_unreadable_file_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "train.csv"
    path.write_text("label\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(mnist, "open", denied, raising=False)  # as for a file without read permission
    with pytest.raises(ValueError, match=r"cannot read .*train.csv.*Permission denied"):
        mnist.load(path)


def test_a_folder_named_like_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "mnist.npz").mkdir()
    with pytest.raises(ValueError, match=r"no MNIST IDX files found"):
        mnist.load(tmp_path / "mnist.npz")


def test_digits_are_scikit_learns_read_without_importing_it():
    """``parity.data.digits`` reads scikit-learn's file itself (its import costs seconds): the same numbers."""
    import subprocess
    import sys

    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    dataset = data.digits()
    np.testing.assert_array_equal(dataset.X, bunch.data.T / 16.0)
    np.testing.assert_array_equal(dataset.Y, data.one_hot(bunch.target, 10))
    code = "import sys; from parity.data import digits; digits(); print('sklearn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
