"""Mini-batches: the frameworks' own data pipelines, fed the reference's permutation, give the reference's batches.

A mini-batch is a choice of columns, so the claim is exact: batch k of torch's ``DataLoader`` (the permutation as
its ``sampler``, ``drop_last=False``) and of a ``tf.data`` pipeline (the permutation batched, then gathered) is
bitwise the reference's ``mini_batches(X, Y, B, order)[k]``, transposed to rows-as-samples, with the remainder
last. Each batch's step is then a full-batch step on fewer columns, which the grid checks. The checks can fail:
torch's own shuffling (``shuffle=True``) draws another order, and the tests show it gives other batches.
"""

import numpy as np
import pytest

import reference

M, B = 23, 5  # 5 batches: four of 5 columns, the last of 3


def _data():
    rng = np.random.default_rng(3)
    return rng.standard_normal((4, M)), rng.standard_normal((2, M))


def _expected():
    X, Y = _data()
    order = reference.permutation(M, seed=11)
    return order, [(Xb.T, Yb.T) for Xb, Yb in reference.mini_batches(X, Y, B, order)]


def _assert_same_batches(batches, expected, framework):
    assert len(batches) == len(expected) == -(-M // B), f"{framework}: {len(batches)} batches"
    for k, ((x, y), (x_ref, y_ref)) in enumerate(zip(batches, expected, strict=True)):
        assert x.shape == x_ref.shape, f"{framework}: batch {k} has shape {x.shape}, expected {x_ref.shape}"
        np.testing.assert_array_equal(x, x_ref, err_msg=f"{framework}: batch {k} X")
        np.testing.assert_array_equal(y, y_ref, err_msg=f"{framework}: batch {k} Y")


@pytest.mark.torch
def test_torch_dataloader_with_the_permutation_as_sampler_gives_the_references_batches():
    torch = pytest.importorskip("torch")
    X, Y = _data()
    order, expected = _expected()
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X.T.copy()), torch.from_numpy(Y.T.copy()))
    loader = torch.utils.data.DataLoader(dataset, batch_size=B, sampler=order.tolist(), drop_last=False)
    _assert_same_batches([(x.numpy(), y.numpy()) for x, y in loader], expected, "torch DataLoader")
    # torch's own shuffle draws its own order: the batches differ, so feeding the permutation is what matters
    shuffled = torch.utils.data.DataLoader(dataset, batch_size=B, shuffle=True,
                                           generator=torch.Generator().manual_seed(11))
    first = next(iter(shuffled))[0].numpy()
    assert not np.array_equal(first, expected[0][0])


@pytest.mark.keras
def test_tf_data_pipeline_fed_the_permutation_gives_the_references_batches():
    pytest.importorskip("keras")
    from parity import environment

    if environment.keras_backend() != "tensorflow":
        pytest.skip("tf.data runs with Keras's TensorFlow backend")
    tf = pytest.importorskip("tensorflow")
    X, Y = _data()
    order, expected = _expected()
    x, y = tf.constant(X.T), tf.constant(Y.T)
    pipeline = tf.data.Dataset.from_tensor_slices(order).batch(B).map(lambda idx: (tf.gather(x, idx),
                                                                                   tf.gather(y, idx)))
    _assert_same_batches([(xb.numpy(), yb.numpy()) for xb, yb in pipeline], expected, "tf.data")


@pytest.mark.jax
def test_jax_take_with_the_permutation_gives_the_references_batches():
    from parity.environment import require

    try:
        jnp = require("jax").numpy  # through parity.environment, which turns float64 (jax_enable_x64) on
    except ImportError as error:
        pytest.skip(str(error))
    X, Y = _data()
    order, expected = _expected()
    x, y = jnp.asarray(X.T), jnp.asarray(Y.T)
    batches = [(np.asarray(jnp.take(x, idx, axis=0)), np.asarray(jnp.take(y, idx, axis=0)))
               for idx in np.array_split(order, range(B, M, B))]
    _assert_same_batches(batches, expected, "jax.numpy.take")


def test_a_different_permutation_gives_different_batches():
    """The comparison above is not vacuous: batch 0 depends on the order."""
    X, Y = _data()
    _, expected = _expected()
    other = reference.mini_batches(X, Y, B, reference.permutation(M, seed=12))
    assert not np.array_equal(other[0][0].T, expected[0][0])
