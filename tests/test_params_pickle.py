"""A model whose parameters live in a buffer survives pickle (scikit-learn's clone and pickle checks)."""

import pickle

import numpy as np

from nn import MLP


def test_a_pickled_model_computes_the_same_and_keeps_one_buffer():
    model = MLP(3, [4, 2])
    x = np.random.default_rng(0).normal(size=(5, 3))
    copy = pickle.loads(pickle.dumps(model))
    assert [np.array_equal(a.data, b.data) for a, b in zip(model(x), copy(x))] == [True, True]
    params = copy.parameters()
    assert len({id(p._buf) for p in params}) == 1
    params[0].data = 0.25  # a write through a Parameter lands in the restored buffer
    assert params[0]._buf.data[0] == 0.25 and model.parameters()[0].data != 0.25
