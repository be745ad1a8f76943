"""The training loop: history, mini-batches, progress, and predictions."""

import io

import numpy as np
import pytest

import reference
from parity import data
from parity.tolerance import LEAST_SQUARES_COST, LEAST_SQUARES_WEIGHT_ULPS, ulps


@pytest.fixture(scope="module")
def planar():
    return data.planar(m=200, seed=1)


def test_full_batch_training_learns_the_planar_data(planar):
    params = reference.init_params([2, 4, 1], "xavier", seed=0)
    trained, history = reference.train(params, planar.X, planar.Y, ["tanh", "sigmoid"], "binary_crossentropy",
                                       reference.SGD(1.2), 1000)
    assert len(history.cost) == len(history.accuracy) == 1000
    assert history.cost[-1] < 0.5 * history.cost[0]
    # a 2-4-1 tanh network separates the petals far better than any straight line (about 50%)
    assert history.accuracy[-1] > 0.85
    assert not np.array_equal(trained["W1"], params["W1"])


def test_history_cost_is_taken_before_each_update(planar):
    params = reference.init_params([2, 4, 1], "xavier", seed=0)
    _, history = reference.train(params, planar.X, planar.Y, ["tanh", "sigmoid"], "binary_crossentropy",
                                 reference.SGD(0.5), 2)
    AL, caches = reference.forward(params, planar.X, ["tanh", "sigmoid"])
    assert history.cost[0] == reference.cost(AL, planar.Y, "binary_crossentropy")
    grads = reference.backward(AL, planar.Y, caches, ["tanh", "sigmoid"], "binary_crossentropy")
    once = reference.update(params, grads, reference.SGD(0.5))
    AL1, _ = reference.forward(once, planar.X, ["tanh", "sigmoid"])
    assert history.cost[1] == reference.cost(AL1, planar.Y, "binary_crossentropy")


def test_mini_batches_are_seeded_and_cover_every_sample_once_per_epoch(planar):
    def run(seed):
        params = reference.init_params([2, 4, 1], "xavier", seed=0)
        return reference.train(params, planar.X, planar.Y, ["tanh", "sigmoid"], "binary_crossentropy",
                               reference.SGD(0.5), 9, batch_size=64, seed=seed)[1].cost

    assert run(3) == run(3)
    assert run(3) != run(4)
    from reference.training import _batches
    stream = _batches(200, 64, seed=3)
    epoch = [next(stream) for _ in range(4)]
    assert [len(b) for b in epoch] == [64, 64, 64, 8]
    assert sorted(np.concatenate(epoch)) == list(range(200))


def test_progress_is_printed_every_n_iterations_and_at_the_end(planar):
    stream = io.StringIO()
    params = reference.init_params([2, 4, 1], "xavier", seed=0)
    reference.train(params, planar.X, planar.Y, ["tanh", "sigmoid"], "binary_crossentropy", reference.SGD(1.0),
                    25, print_every=10, stream=stream)
    lines = stream.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["10/25", "20/25", "25/25"]
    assert all("cost" in line and "accuracy" in line for line in lines)


def test_regression_has_cost_but_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 40))
    Y = np.array([[1.0, -2.0, 0.5]]) @ X
    params = reference.init_params([3, 1], "xavier", seed=0)
    trained, history = reference.train(params, X, Y, ["linear"], "mse", reference.SGD(0.1), 300)
    # Noise-free least squares: gradient descent converges geometrically to the true weights, so after 300 steps
    # the weights are those that generated Y, to rounding, and the cost is the square of rounding errors
    assert history.accuracy == [] and history.cost[-1] < LEAST_SQUARES_COST
    np.testing.assert_allclose(trained["W1"], [[1.0, -2.0, 0.5]], rtol=0,
                               atol=ulps(np.float64, LEAST_SQUARES_WEIGHT_ULPS))


def test_predict_gives_labels_for_sigmoid_and_classes_for_softmax():
    Z_to_A = {"W1": np.array([[1.0], [-1.0]]), "b1": np.zeros((2, 1))}
    X = np.array([[-2.0, 3.0]])
    np.testing.assert_array_equal(reference.predict(Z_to_A, X, ["sigmoid"]), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(reference.predict(Z_to_A, X, ["softmax"]), [[1, 0]])
    np.testing.assert_array_equal(reference.predict(Z_to_A, X, ["linear"]), [[-2.0, 3.0], [2.0, -3.0]])
