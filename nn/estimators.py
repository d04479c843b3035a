"""MLPClassifier and MLPRegressor: nn's MLPs behind scikit-learn's estimator conventions.

The parameters, their defaults and the training loop follow scikit-learn's
``sklearn.neural_network`` estimators (solvers "sgd" and "adam"): Glorot-uniform
initialisation, mini-batches of ``min(200, n_samples)``, the loss
``data_loss + alpha / (2 * batch_size) * sum(W**2)`` (weights only), the ``tol`` /
``n_iter_no_change`` stopping rule, the "constant" / "invscaling" / "adaptive" learning rates
and early stopping on a validation score. Each mini-batch runs as one graph of lanes.

The constructor only stores its arguments; ``fit`` returns self; fitted attributes end in
``_``; ``get_params`` / ``set_params`` make ``sklearn.base.clone``, ``cross_val_score``,
``GridSearchCV`` and ``Pipeline`` work when scikit-learn is installed (it is not required).

Example:
    >>> from nn.data import make_moons
    >>> X, y = make_moons(100, noise=0.1, seed=0)
    >>> labels = np.array(["left", "right"])[y]
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.05, max_iter=60,
    ...                     random_state=0).fit(X, labels)
    >>> clf.classes_.tolist(), clf.predict(X[:3]).tolist() == labels[:3].tolist(), clf.score(X, labels) > 0.9
    (['left', 'right'], True, True)
    >>> [c.shape for c in clf.coefs_], clf.n_iter_
    ([(2, 16), (16, 1)], 60)
"""

from __future__ import annotations

import functools
import importlib
import inspect
import itertools
import math
import numbers
import sys
import warnings
from typing import Any

import numpy as np

from autograd_core import AutogradError, OperandTypeError, ParamList, Value, no_grad, sum_squares
from autograd_core.errors import excerpt

from . import losses as _losses
from .data import train_test_split
from .errors import ConfigError
from .layers import MLP
from .optim import SGD, Adam, Optimizer
from .train import _check_finite, _check_step, _decide, _outputs, _penalised, check_scale

__all__ = ["ConvergenceWarning", "DataConversionWarning", "MLPClassifier", "MLPRegressor", "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """The optimizer reached ``max_iter`` before the loss converged.

    When scikit-learn is loaded the warning is also an instance of its ``ConvergenceWarning``,
    so filters written for scikit-learn apply (scikit-learn is never imported just for this).

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     _ = MLPRegressor((2,), max_iter=1).fit([[0.0], [1.0]], [0.0, 1.0])
        >>> issubclass(caught[-1].category, ConvergenceWarning)
        True
    """


class DataConversionWarning(UserWarning):
    """``y`` was converted to the shape the estimator needs (a column vector to 1-D labels).

    Like ``ConvergenceWarning``, it is also scikit-learn's ``DataConversionWarning`` when
    scikit-learn is loaded.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     _ = MLPClassifier((2,), max_iter=1).fit([[0.0], [1.0]], [[0], [1]])
        >>> any(issubclass(w.category, DataConversionWarning) for w in caught)
        True
    """


class NotFittedError(AutogradError, ValueError, AttributeError):
    """``predict``/``score`` called before ``fit``.

    When scikit-learn is installed, the error raised is also an instance of scikit-learn's
    ``sklearn.exceptions.NotFittedError`` (imported on this error path only), so code written
    for scikit-learn catches it; without scikit-learn it is this class alone.

    Example:
        >>> try:
        ...     MLPClassifier().predict([[0.0]])
        ... except NotFittedError as err:
        ...     print(str(err).split(";")[0])
        This MLPClassifier instance is not fitted yet
    """


def _sklearn_flavour(ours: type, *, load: bool = False) -> type:
    """``ours``, or a subclass of it and of scikit-learn's class of the same name.

    scikit-learn's class is used when ``sklearn.exceptions`` is already loaded, or, with
    ``load=True`` (error paths, where a second of importing does not matter), when scikit-learn
    is installed. nn never needs scikit-learn.

    Example:
        >>> import sklearn.exceptions
        >>> issubclass(_sklearn_flavour(NotFittedError), sklearn.exceptions.NotFittedError)
        True
    """
    sk = sys.modules.get("sklearn.exceptions")
    if sk is None and load:
        try:
            sk = importlib.import_module("sklearn.exceptions")
        except ImportError:
            sk = None
    theirs = getattr(sk, ours.__name__, None)
    return ours if theirs is None else _combined(ours, theirs)


@functools.cache
def _combined(ours: type, theirs: type) -> type:
    attrs = {"__module__": ours.__module__, "__qualname__": ours.__qualname__, "__doc__": ours.__doc__}
    return type(ours.__name__, (ours, theirs), attrs)


_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
_SOLVERS = ("sgd", "adam")
_LEARNING_RATES = ("constant", "invscaling", "adaptive")


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    if random_state is None or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        return np.random.default_rng(random_state)
    raise ConfigError(f"random_state must be None, an int or a NumPy random generator, got {excerpt(random_state)}")


_MAX_DENSE = 2**26  # entries of a densified sparse X (512 MB of float64)


def _densify(X: Any, name: str) -> Any:
    """A SciPy sparse X as a dense array (the engine's lanes are dense); anything else as is."""
    sparse = sys.modules.get("scipy.sparse")  # a sparse matrix means SciPy is loaded
    if sparse is None or not sparse.issparse(X):
        return X
    rows, cols = X.shape
    if rows * cols > _MAX_DENSE:
        raise ConfigError(
            f"{name}: sparse X of shape {X.shape} is too large to densify ({rows * cols:,} entries, "
            f"limit {_MAX_DENSE:,}); nn trains on dense arrays"
        )
    return X.toarray()


def _excerpt(thing: Any, limit: int = 120) -> str:
    text = str(thing)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class _BaseMLP:
    """Shared parameters, validation and the stochastic training loop."""

    _estimator_type = ""

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    # --- scikit-learn's parameter protocol ------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters as a dict (scikit-learn's protocol).

        Example:
            >>> MLPRegressor(max_iter=5).get_params()["max_iter"]
            5
        """
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> _BaseMLP:
        """Set constructor parameters by name; returns self (scikit-learn's protocol).

        Example:
            >>> MLPClassifier().set_params(alpha=0.1, solver="sgd").alpha
            0.1
        """
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ConfigError(
                    f"invalid parameter {excerpt(name)} for estimator {type(self).__name__}; valid parameters: "
                    f"{', '.join(sorted(valid))}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values() if p.name != "self"
        }
        changed = []
        for name in self._param_names():
            value = getattr(self, name)
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = bool(value == default) if type(value) is type(default) else False
            except (TypeError, ValueError):  # arrays and the like
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn >= 1.6 reads the estimator type (classifier / regressor) from these tags."""
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type=self._estimator_type,
            input_tags=InputTags(sparse=True),  # densified in fit / predict
            target_tags=TargetTags(required=True, multi_output=self._estimator_type == "regressor"),
            classifier_tags=ClassifierTags() if self._estimator_type == "classifier" else None,
            regressor_tags=RegressorTags() if self._estimator_type == "regressor" else None,
        )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    # --- validation ---------------------------------------------------------------------

    def _validate(self) -> tuple[list[int], str]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            raise ConfigError(f"hidden_layer_sizes must be a tuple of layer widths, got {excerpt(sizes)}") from None
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
                raise ConfigError(
                    f"hidden_layer_sizes must contain integers >= 1, got {excerpt(self.hidden_layer_sizes)}"
                )
        if self.activation not in _ACTIVATIONS:
            raise ConfigError(f"activation must be one of {_ACTIVATIONS}, got {excerpt(self.activation)}")
        if self.solver not in _SOLVERS:
            hint = " (lbfgs is not supported; use 'adam' or 'sgd')" if self.solver == "lbfgs" else ""
            raise ConfigError(f"solver must be one of {_SOLVERS}, got {excerpt(self.solver)}{hint}")
        if self.learning_rate not in _LEARNING_RATES:
            raise ConfigError(f"learning_rate must be one of {_LEARNING_RATES}, got {excerpt(self.learning_rate)}")
        checks = [
            ("alpha", self.alpha, 0.0, False),
            ("learning_rate_init", self.learning_rate_init, 0.0, True),
            ("power_t", self.power_t, 0.0, False),
            ("tol", self.tol, 0.0, False),
            ("momentum", self.momentum, 0.0, False),
            ("epsilon", self.epsilon, 0.0, True),
        ]
        for name, value, low, strict in checks:
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
            if not ok or value < low or (strict and value == low):
                raise ConfigError(
                    f"{name} must be a finite number {'>' if strict else '>='} {low}, got {excerpt(value)}"
                )
        if self.momentum > 1:
            raise ConfigError(f"momentum must be in [0, 1], got {excerpt(self.momentum)}")
        for name in ("beta_1", "beta_2", "validation_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
                raise ConfigError(f"{name} must be in [0, 1), got {excerpt(value)}")
        for name in ("max_iter", "n_iter_no_change"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {excerpt(value)}")
        bs = self.batch_size
        if bs != "auto" and (isinstance(bs, bool) or not isinstance(bs, numbers.Integral) or bs < 1):
            raise ConfigError(f"batch_size must be 'auto' or an integer >= 1, got {excerpt(bs)}")
        return [int(n) for n in sizes], self.activation

    def _check_X(self, X: Any, fitting: bool) -> np.ndarray:
        """X as a float64 (n_samples, n_features) array; errors use scikit-learn's wording."""
        name = type(self).__name__
        if not fitting and not hasattr(self, "model_"):
            raise _sklearn_flavour(NotFittedError, load=True)(
                f"This {name} instance is not fitted yet; call 'fit' with appropriate arguments first"
            )
        X = _densify(X, name)
        raw = np.asarray(X)
        if raw.dtype.kind == "c":  # NumPy would drop the imaginary part with only a warning
            raise ConfigError(f"{name}: Complex data not supported; X must be real numbers")
        try:
            arr = raw.astype(np.float64)
        except TypeError as err:  # an entry that is no number at all, e.g. a dict
            raise OperandTypeError(f"{name}: X must hold real numbers; {_excerpt(err)}") from None
        except ValueError as err:
            raise ConfigError(f"{name}: X must hold real numbers; {_excerpt(err)}") from None
        if arr.ndim != 2:
            raise ConfigError(
                f"{name}: Expected a 2-D array (n_samples, n_features), got a {arr.ndim}-D array of shape "
                f"{arr.shape}. Reshape your data with X.reshape(-1, 1) if it has a single feature or "
                "X.reshape(1, -1) if it is a single sample"
            )
        for axis, what in ((0, "sample"), (1, "feature")):
            if arr.shape[axis] == 0:
                raise ConfigError(f"{name}: X has 0 {what}(s) (shape={arr.shape}) while a minimum of 1 is required.")
        if not np.all(np.isfinite(arr)):
            raise ConfigError(f"{name}: X contains NaN or infinity")
        check_scale(arr, "X", name)
        if not fitting and arr.shape[1] != self.n_features_in_:
            raise ConfigError(
                f"X has {arr.shape[1]} features, but {name} is expecting {self.n_features_in_} features as input"
            )
        return arr

    def _check_y_given(self, y: Any) -> None:
        if y is None:
            raise ConfigError(f"{type(self).__name__} requires y to be passed, but the target y is None")

    # --- training -----------------------------------------------------------------------

    def _init_model(self, n_in: int, hidden: list[int], n_out: int, rng: np.random.Generator) -> MLP:
        """Glorot-uniform weights and biases, scikit-learn's ``_init_coef``."""
        sizes = [n_in, *hidden, n_out]
        factor = 2.0 if self.activation == "logistic" else 6.0
        Ws, bs = [], []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = math.sqrt(factor / (fan_in + fan_out))
            Ws.append(rng.uniform(-bound, bound, (fan_in, fan_out)).T)
            bs.append(rng.uniform(-bound, bound, fan_out))
        return MLP.from_weights(Ws, bs, [self.activation] * len(hidden) + ["identity"])

    def _reusable(self, n_features: int, hidden: list[int], n_out: int) -> bool:
        """warm_start: whether the fitted ``model_`` has the architecture a new fit asks for."""
        return self.model_.nin == n_features and self.model_.nouts == [*hidden, n_out]

    def _make_optimizer(self, params: list[Value]) -> Optimizer:
        if self.solver == "sgd":
            return SGD(
                params,
                lr=self.learning_rate_init,
                momentum=self.momentum,
                nesterov=bool(self.nesterovs_momentum) and self.momentum > 0,
            )
        return Adam(params, lr=self.learning_rate_init, betas=(self.beta_1, self.beta_2), eps=self.epsilon)

    def _data_loss(self, out: Any, target: np.ndarray) -> Value:
        raise NotImplementedError

    def _score_encoded(self, X: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    @np.errstate(all="ignore")  # overflow and NaN are caught explicitly: DivergenceError
    def _fit(self, X: np.ndarray, T: np.ndarray, y_for_split: np.ndarray, n_out: int) -> None:
        """scikit-learn's ``_fit_stochastic`` on encoded targets T."""
        hidden, _ = self._validate()
        rng = _rng(self.random_state)
        n_features = X.shape[1]
        if not (self.warm_start and hasattr(self, "model_") and self._reusable(n_features, hidden, n_out)):
            self.model_ = self._init_model(n_features, hidden, n_out, rng)
            self.t_ = 0
            self.loss_curve_: list[float] = []
        model = self.model_
        weights = _penalised(model)
        opt = self._make_optimizer(model.parameters())
        self.n_features_in_ = n_features
        self.n_layers_ = len(hidden) + 2
        self.n_outputs_ = n_out

        if self.early_stopping:
            stratify = y_for_split if self._estimator_type == "classifier" else False
            X_tr, X_val, T_tr, T_val = train_test_split(
                X, T, test_size=self.validation_fraction, seed=int(rng.integers(2**31)), stratify=stratify
            )
            if len(X_val) < 2:
                raise ConfigError("the validation set is too small; increase validation_fraction or the data")
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -math.inf
            self.best_loss_: float | None = None
            best_state = model.state_dict()
        else:
            X_tr, T_tr = X, T
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = math.inf
        n = len(X_tr)
        if self.batch_size == "auto":
            bs = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped", stacklevel=3
                )
            bs = int(np.clip(self.batch_size, 1, n))
        alpha = float(self.alpha)
        no_improvement = 0
        self.n_iter_ = 0
        idx = np.arange(n)
        params = model.parameters()
        if type(params) is not ParamList:  # a Sequential's list: the checks below read it in one go
            params = ParamList(params)
        for _ in range(self.max_iter):
            if self.shuffle:
                idx = rng.permutation(n)
            accumulated = 0.0
            for lo in range(0, n, bs):
                batch = idx[lo : lo + bs]
                out = model(X_tr[batch])
                loss = self._data_loss(out, T_tr[batch])
                if alpha:
                    loss = loss + sum_squares(weights) * (0.5 * alpha / len(batch))
                epoch, who = self.n_iter_ + 1, type(self).__name__
                if not math.isfinite(loss.data):
                    _check_finite(np.array([loss.data]), "the loss became", epoch, opt.lr, who)
                opt.zero_grad()
                loss.backward()
                _check_step(params, "grad", "a gradient became", epoch, opt.lr, who)
                opt.step()
                _check_step(params, "data", "the update made a weight", epoch, opt.lr, who)
                accumulated += loss.data * len(batch)
            self.n_iter_ += 1
            self.loss_ = accumulated / n
            self.t_ += n
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")

            if self.early_stopping:
                score = self._score_encoded(X_val, T_val)
                self.validation_scores_.append(score)
                if self.verbose:
                    print(f"Validation score: {score:f}")
                no_improvement = no_improvement + 1 if score < self.best_validation_score_ + self.tol else 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best_state = model.state_dict()
            else:
                no_improvement = no_improvement + 1 if self.loss_ > self.best_loss_ - self.tol else 0
                self.best_loss_ = min(self.best_loss_, self.loss_)

            if self.solver == "sgd" and self.learning_rate == "invscaling":
                opt.lr = self.learning_rate_init / (self.t_ + 1) ** self.power_t

            if no_improvement > self.n_iter_no_change:
                what = "Validation score" if self.early_stopping else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={self.tol:f} for {self.n_iter_no_change} consecutive epochs."
                )
                if self.solver == "sgd" and self.learning_rate == "adaptive" and opt.lr > 1e-6:
                    opt.lr /= 5.0
                    no_improvement = 0
                    if self.verbose:
                        print(f"{msg} Setting learning rate to {opt.lr:f}")
                else:
                    if self.verbose:
                        print(f"{msg} Stopping.")
                    break
            if self.n_iter_ == self.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the optimization "
                    "hasn't converged yet.",
                    _sklearn_flavour(ConvergenceWarning),
                    stacklevel=3,
                )
        if self.early_stopping:
            model.load_state_dict(best_state)
        Ws, bs_ = model.weights()
        self.coefs_ = [W.T.copy() for W in Ws]
        self.intercepts_ = [b.copy() for b in bs_]

    def _predict_array(self, X: np.ndarray) -> np.ndarray:
        """The model's outputs on checked X: shape (n,) for one output, (n, k) for k."""
        with no_grad():
            return _outputs(self.model_(X))

    def _forward(self, X: Any) -> np.ndarray:
        arr = self._check_X(X, fitting=False)
        return self._predict_array(arr).reshape(len(arr), -1)


class MLPClassifier(_BaseMLP):
    """A multi-layer perceptron classifier with scikit-learn's interface and defaults.

    Binary problems get one logistic output trained with binary cross-entropy (on logits);
    k > 2 classes get k outputs with softmax cross-entropy. Labels can be anything NumPy can
    sort (ints, strings, ...); ``classes_`` holds them in sorted order.

    Parameters (scikit-learn's): hidden_layer_sizes, activation ("identity", "logistic",
    "tanh", "relu"), solver ("sgd", "adam"), alpha (L2 on weights), batch_size ("auto" =
    min(200, n_samples)), learning_rate ("constant", "invscaling", "adaptive"; sgd only),
    learning_rate_init, power_t, max_iter (epochs), shuffle, random_state, tol, verbose,
    warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1,
    beta_2, epsilon, n_iter_no_change.

    Fitted attributes: ``classes_``, ``coefs_`` (list of (n_in, n_out) arrays),
    ``intercepts_``, ``loss_``, ``loss_curve_``, ``best_loss_``, ``validation_scores_``,
    ``best_validation_score_``, ``n_iter_``, ``t_``, ``n_features_in_``, ``n_layers_``,
    ``n_outputs_``, ``out_activation_``, ``model_`` (the trained ``nn.MLP``; it outputs logits).

    Example:
        >>> from nn.data import make_blobs
        >>> X, y = make_blobs(60, centers=3, std=0.5, seed=0)
        >>> clf = MLPClassifier((8,), learning_rate_init=0.05, max_iter=40, random_state=0).fit(X, y)
        >>> clf.predict_proba(X[:2]).shape, clf.score(X, y)
        ((2, 3), 1.0)
    """

    _estimator_type = "classifier"

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on X (n_samples, n_features) and labels y (n_samples,); returns self.

        Example:
            >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array(["a", "a", "b", "b"])
            >>> MLPClassifier((4,), max_iter=5, random_state=0).fit(X, y).classes_.tolist()
            ['a', 'b']
        """
        Xa = self._check_X(X, fitting=True)
        self._check_y_given(y)
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change the shape of y to "
                "(n_samples,), for example using ravel().",
                _sklearn_flavour(DataConversionWarning),
                stacklevel=2,
            )
            labels = labels[:, 0]
        if labels.ndim != 1 or len(labels) != len(Xa):
            raise ConfigError(f"MLPClassifier: y must be 1-D with {len(Xa)} labels, got shape {labels.shape}")
        if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
            raise ConfigError(
                "MLPClassifier: Unknown label type: continuous (y holds non-integer numbers); "
                "use MLPRegressor for regression"
            )
        classes, codes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise ConfigError(
                f"MLPClassifier: y has 1 class ({_excerpt(classes.tolist(), 60)}); needs samples of at least 2 classes"
            )
        if self.warm_start and hasattr(self, "classes_") and not np.array_equal(classes, self.classes_):
            raise ConfigError("warm_start: y has different classes than the previous fit")
        self.classes_ = classes
        codes = codes.reshape(-1).astype(np.int64)
        n_out = 1 if len(classes) == 2 else len(classes)
        self.out_activation_ = "logistic" if n_out == 1 else "softmax"
        T = codes.astype(np.float64) if n_out == 1 else codes
        self._fit(Xa, T, codes, n_out)
        return self

    def _data_loss(self, out: Any, target: np.ndarray) -> Value:
        if self.n_outputs_ == 1:
            return _losses.binary_cross_entropy_with_logits(out, target)
        return _losses.cross_entropy(out, target)

    def _score_encoded(self, X: np.ndarray, codes: np.ndarray) -> float:
        return float(np.mean(_decide(self._predict_array(X), 0.0) == codes))  # logits: split at 0

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order.

        Example:
            >>> X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
            >>> p = MLPClassifier((2,), max_iter=1, random_state=0).fit(X, y).predict_proba(X)
            >>> p.shape, bool(np.allclose(p.sum(axis=1), 1))
            ((2, 2), True)
        """
        z = self._forward(X)
        if z.shape[1] == 1:
            p = _sigmoid(z[:, 0])
            return np.column_stack([1.0 - p, p])
        return _softmax(z)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log of ``predict_proba``.

        Example:
            >>> X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
            >>> MLPClassifier((2,), max_iter=1, random_state=0).fit(X, y).predict_log_proba(X).shape
            (2, 2)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of every sample, shape (n_samples,), from ``classes_``.

        Example:
            >>> X, y = np.array([[0.0], [1.0]]), np.array(["no", "yes"])
            >>> MLPClassifier((2,), max_iter=1, random_state=0).fit(X, y).predict(X).shape
            (2,)
        """
        z = self._forward(X)
        return self.classes_[_decide(z[:, 0] if z.shape[1] == 1 else z, 0.0)]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on (X, y), optionally weighted.

        Example:
            >>> X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
            >>> 0.0 <= MLPClassifier((2,), max_iter=1, random_state=0).fit(X, y).score(X, y) <= 1.0
            True
        """
        correct = (self.predict(X) == np.asarray(y).reshape(-1)).astype(np.float64)
        return float(np.average(correct, weights=sample_weight))


class MLPRegressor(_BaseMLP):
    """A multi-layer perceptron regressor with scikit-learn's interface and defaults.

    Identity output, squared-error loss ``mean((y - pred)**2) / 2`` (scikit-learn's), one or
    several targets. Parameters and fitted attributes as for ``MLPClassifier`` (no
    ``classes_``; ``out_activation_`` is "identity").

    Example:
        >>> from nn.data import make_regression
        >>> X, y = make_regression(80, n_features=2, noise=0.1, seed=0)
        >>> reg = MLPRegressor((16,), learning_rate_init=0.05, max_iter=100, random_state=0).fit(X, y)
        >>> reg.predict(X).shape, reg.score(X, y) > 0.95
        ((80,), True)
    """

    _estimator_type = "regressor"

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on X (n_samples, n_features) and targets y (n_samples,) or (n_samples, n_targets).

        Example:
            >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
            >>> MLPRegressor((4,), max_iter=3, random_state=0).fit(X, 2 * X[:, 0]).n_iter_
            3
        """
        Xa = self._check_X(X, fitting=True)
        self._check_y_given(y)
        try:
            T = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError("MLPRegressor: y must be numbers") from None
        if T.ndim not in (1, 2) or len(T) != len(Xa):
            raise ConfigError(f"MLPRegressor: y must have {len(Xa)} rows, got shape {T.shape}")
        if not np.all(np.isfinite(T)):
            raise ConfigError("MLPRegressor: y contains NaN or infinity")
        check_scale(T, "y", "MLPRegressor")
        if T.ndim == 2 and T.shape[1] == 1:
            T = T[:, 0]
        n_out = 1 if T.ndim == 1 else T.shape[1]
        self.out_activation_ = "identity"
        self._fit(Xa, T, T, n_out)
        return self

    def _data_loss(self, out: Any, target: np.ndarray) -> Value:
        return _losses.mse(out, target) * 0.5

    def _score_encoded(self, X: np.ndarray, T: np.ndarray) -> float:
        return self._r2(self._predict_array(X), T)

    @staticmethod
    def _r2(pred: np.ndarray, T: np.ndarray, sample_weight: Any = None) -> float:
        t = T.reshape(len(T), -1)
        p = pred.reshape(len(T), -1)
        w = np.ones(len(t)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        w = w.reshape(-1, 1)
        ss_res = np.sum(w * (t - p) ** 2, axis=0)
        ss_tot = np.sum(w * (t - np.average(t, axis=0, weights=w[:, 0])) ** 2, axis=0)
        safe = np.where(ss_tot > 0, ss_tot, 1.0)
        scores = np.where(ss_tot > 0, 1.0 - ss_res / safe, np.where(ss_res > 0, 0.0, 1.0))
        return float(np.mean(scores))

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, shape (n_samples,) for one target, (n_samples, n_targets) otherwise.

        Example:
            >>> X = np.linspace(-1, 1, 10).reshape(-1, 1)
            >>> MLPRegressor((4,), max_iter=2, random_state=0).fit(X, X[:, 0]).predict(X).shape
            (10,)
        """
        z = self._forward(X)
        return z[:, 0] if z.shape[1] == 1 else z

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Coefficient of determination R² (averaged uniformly over targets).

        Example:
            >>> X = np.linspace(-1, 1, 10).reshape(-1, 1)
            >>> reg = MLPRegressor((4,), max_iter=2, random_state=0).fit(X, X[:, 0])
            >>> reg.score(X, X[:, 0]) <= 1.0
            True
        """
        T = np.asarray(y, dtype=np.float64)
        return self._r2(self.predict(X), T, sample_weight)
