"""A hypothesis state machine over every way a Parameter's number or gradient changes.

``w.data`` reads the buffer through a ctypes view made on first use and remade after every
move (``pack``, copies, pickles), so the machine interleaves scalar reads and writes with the
whole-buffer paths and the moves; after every step each Parameter, the buffer and a shadow copy
kept with plain floats must agree exactly.
"""

import copy
import pickle

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from autograd_core import Parameter, Value
from autograd_core.params import pack
from nn import MLP, losses
from nn.optim import SGD

NUMBERS = st.floats(-3.0, 3.0, allow_nan=False)


class ParameterMachine(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 1000))
    def build(self, seed):
        self.model = MLP(2, [3, 1], seed=seed)
        self.shadow = [p.data for p in self.model.parameters()]
        self.rng = np.random.default_rng(seed)

    @property
    def params(self):
        return self.model.parameters()

    @rule(k=st.integers(0, 12), v=NUMBERS)
    def set_data(self, k, v):
        self.params[k].data = v
        self.shadow[k] = v

    @rule(k=st.integers(0, 12))
    def read_data(self, k):  # a first read makes the view: it must read the right slot
        assert self.params[k].data == self.shadow[k]

    def _float_grads(self):  # a Value gradient (create_graph) is for differentiating again, not for updates
        if any(isinstance(p.grad, Value) for p in self.params):
            self.model.zero_grad()

    @rule()
    def micrograd_loop(self):
        self._float_grads()
        for i, p in enumerate(self.params):
            p.data -= 0.05 * p.grad
            self.shadow[i] = p.data

    @rule()
    def sgd_step(self):
        self._float_grads()
        grads = [p.grad for p in self.params]
        SGD(self.params, lr=0.1).step()
        self.shadow = [d - 0.1 * g for d, g in zip(self.shadow, grads)]

    @rule()
    def assign_all(self):
        values = self.rng.normal(size=len(self.shadow))
        self.params.assign(values)
        self.shadow = values.tolist()

    @rule()
    def backward_lanes(self):
        losses.mse(self.model(self.rng.normal(size=(4, 2))), self.rng.normal(size=4)).backward()

    @rule()
    def backward_one_sample(self):
        losses.mse(self.model(self.rng.normal(size=2).tolist()), 0.5).backward()

    @rule()
    def backward_create_graph(self):
        out = self.model(self.rng.normal(size=2).tolist())
        (out * out).backward(create_graph=True)
        assert all(isinstance(p.grad, Value) for p in self.params if p.grad != 0)

    @rule()
    def backward_lanes_create_graph(self):  # fused layers leave Value gradients in the buffer's mirror too
        out = self.model(self.rng.normal(size=(3, 2)))
        (out * out).sum().backward(create_graph=True)
        assert all(isinstance(p.grad, Value) for p in self.params if p.grad != 0)
        assert self.model.parameters().grads().tolist() == [
            p.grad.data if isinstance(p.grad, Value) else p.grad for p in self.params
        ]

    @rule()
    def zero_grad(self):
        self.model.zero_grad()
        assert [p.grad for p in self.params] == [0.0] * len(self.shadow)

    @rule(k=st.integers(0, 12), g=NUMBERS)
    def set_grad(self, k, g):
        self.params[k].grad = g
        assert self.params[k].grad == g

    @rule()
    def repack(self):  # the parameters move to a new buffer: old views must not be used any more
        pack(self.params)

    @rule()
    def deep_copy(self):
        self.model = copy.deepcopy(self.model)

    @rule()
    def pickle_round_trip(self):
        self.model = pickle.loads(pickle.dumps(self.model))  # a float gradient survives, a Value one becomes 0
        self.model.zero_grad()

    @rule()
    def load_state(self):
        state = {name: float(v) for name, v in zip(self.model.state_dict(), self.rng.normal(size=len(self.shadow)))}
        self.model.load_state_dict(state)
        self.shadow = list(state.values())

    @invariant()
    def everything_in_step(self):
        params = self.params
        buf = params[0]._buf
        assert all(type(p) is Parameter and p._buf is buf for p in params)
        assert [p.data for p in params] == self.shadow == buf.data.tolist()
        numbers = [p.grad.data if isinstance(p.grad, Value) else p.grad for p in params]
        assert numbers == buf.grad.tolist()
        Ws, bs = self.model.weights()
        assert np.concatenate([np.column_stack([W, b]).ravel() for W, b in zip(Ws, bs)]).tolist() == self.shadow


ParameterMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=10, deadline=None)
test_parameters_and_buffer_stay_in_step = ParameterMachine.TestCase
