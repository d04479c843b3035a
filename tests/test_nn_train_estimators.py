"""MLPClassifier / MLPRegressor: scikit-learn's conventions, and the tools that rely on them."""

import inspect
import warnings

import numpy as np
import pytest

from autograd_core import AutogradError
from nn import MLP
from nn.data import load_digits, make_blobs, make_moons, make_regression
from nn.errors import ConfigError
from nn.estimators import ConvergenceWarning, MLPClassifier, MLPRegressor, NotFittedError

pytest.importorskip("sklearn")
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (8,), "learning_rate_init": 0.05, "max_iter": 30, "random_state": 0}


def moons(n=80):
    return make_moons(n, noise=0.15, seed=0)


def test_parameters_and_defaults_match_scikit_learn():
    ours = inspect.signature(MLPClassifier.__init__).parameters
    theirs = inspect.signature(SkMLPClassifier.__init__).parameters
    for name, p in ours.items():
        if name == "self":
            continue
        assert name in theirs, name
        assert p.default == theirs[name].default, name
        assert p.kind == theirs[name].kind, name
    assert set(theirs) - set(ours) == {"max_fun"}  # lbfgs only


def test_constructor_only_stores_parameters_and_get_set_params():
    clf = MLPClassifier(hidden_layer_sizes=(3, 2), alpha=-5.0, solver="nope")  # validated in fit, as sklearn
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (3, 2) and params["alpha"] == -5.0 and params["solver"] == "nope"
    assert not any(k.endswith("_") for k in vars(clf))
    assert clf.set_params(alpha=0.5, solver="sgd") is clf and clf.alpha == 0.5
    with pytest.raises(ConfigError, match="invalid parameter 'bogus'"):
        clf.set_params(bogus=1)
    assert repr(MLPRegressor(max_iter=5)) == "MLPRegressor(max_iter=5)"


def test_clone_and_estimator_type():
    clf = MLPClassifier(**FAST)
    copy = clone(clf)
    assert copy is not clf and copy.get_params() == clf.get_params()
    assert is_classifier(clf) and not is_regressor(clf)
    assert is_regressor(MLPRegressor()) and not is_classifier(MLPRegressor())
    fitted = clf.fit(*moons())
    assert not hasattr(clone(fitted), "model_")


def test_fit_returns_self_and_fitted_attributes():
    X, y = moons()
    clf = MLPClassifier(hidden_layer_sizes=(6, 4), max_iter=20, learning_rate_init=0.05, random_state=0)
    assert clf.fit(X, y) is clf
    assert [c.shape for c in clf.coefs_] == [(2, 6), (6, 4), (4, 1)]
    assert [b.shape for b in clf.intercepts_] == [(6,), (4,), (1,)]
    assert clf.n_iter_ == 20 and len(clf.loss_curve_) == 20 and clf.loss_ == clf.loss_curve_[-1]
    assert clf.n_features_in_ == 2 and clf.n_layers_ == 4 and clf.n_outputs_ == 1
    assert clf.out_activation_ == "logistic" and clf.t_ == 20 * 80
    assert clf.classes_.tolist() == [0, 1] and isinstance(clf.model_, MLP)
    assert clf.validation_scores_ is None and clf.best_loss_ == min(clf.loss_curve_)
    # coefs_ are the model's weights, in scikit-learn's (n_in, n_out) layout
    Ws, _ = clf.model_.weights()
    assert all(np.array_equal(c, W.T) for c, W in zip(clf.coefs_, Ws, strict=True))
    z = np.maximum(np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0) @ clf.coefs_[1] + clf.intercepts_[1], 0)
    logits = z @ clf.coefs_[2] + clf.intercepts_[2]
    assert np.allclose(clf.predict_proba(X)[:, 1], 1 / (1 + np.exp(-logits[:, 0])))


def test_loss_is_sklearns_with_l2_on_weights_only():
    # One full-batch epoch with lr 0 leaves the weights alone: loss_ is then exactly
    # log_loss + alpha / (2 n) * sum(W**2), computed here from the fitted coefs_.
    X, y = moons(40)
    clf = MLPClassifier((5,), alpha=0.3, learning_rate_init=1e-300, batch_size=40, max_iter=1, random_state=0)
    clf.fit(X, y)
    p = clf.predict_proba(X)[:, 1]
    log_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    l2 = 0.3 / (2 * 40) * sum(float(np.sum(c**2)) for c in clf.coefs_)
    assert clf.loss_ == pytest.approx(log_loss + l2, rel=1e-9)

    Xr, yr = make_regression(30, n_features=2, seed=0)
    reg = MLPRegressor((4,), alpha=0.2, learning_rate_init=1e-300, batch_size=30, max_iter=1, random_state=0)
    reg.fit(Xr, yr)
    l2 = 0.2 / (2 * 30) * sum(float(np.sum(c**2)) for c in reg.coefs_)
    assert reg.loss_ == pytest.approx(np.mean((yr - reg.predict(Xr)) ** 2) / 2 + l2, rel=1e-9)


def test_glorot_initialisation_bounds():
    clf = MLPClassifier((50,), activation="logistic", max_iter=1, learning_rate_init=1e-300, random_state=0)
    clf.fit(np.zeros((4, 30)), [0, 1, 0, 1])
    bound = np.sqrt(2 / (30 + 50))  # factor 2 for logistic, 6 otherwise
    assert np.abs(clf.coefs_[0]).max() <= bound and np.abs(clf.coefs_[0]).max() > 0.9 * bound


def test_string_labels_and_multiclass_probabilities():
    X, y = make_blobs(90, centers=3, std=0.6, seed=1)
    names = np.array(["cat", "dog", "emu"])[y]
    clf = MLPClassifier(**FAST).fit(X, names)
    assert clf.classes_.tolist() == ["cat", "dog", "emu"] and clf.out_activation_ == "softmax"
    pred = clf.predict(X)
    assert pred.shape == (90,) and set(pred) <= {"cat", "dog", "emu"}
    proba = clf.predict_proba(X)
    assert proba.shape == (90, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(clf.classes_[proba.argmax(axis=1)], pred)
    assert np.allclose(np.exp(clf.predict_log_proba(X)), proba)
    assert clf.score(X, names) >= 0.95


def test_binary_string_labels_predict_proba_columns():
    X, y = moons()
    labels = np.array(["no", "yes"])[y]
    clf = MLPClassifier(**FAST).fit(X, labels)
    proba = clf.predict_proba(X)
    assert proba.shape == (80, 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(np.where(proba[:, 1] > 0.5, "yes", "no"), clf.predict(X))


def test_regressor_single_and_multi_output():
    X, y = make_regression(80, n_features=3, noise=0.05, seed=0)
    reg = MLPRegressor((16,), learning_rate_init=0.05, max_iter=80, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (80,) and reg.score(X, y) > 0.95 and reg.out_activation_ == "identity"
    Y = np.column_stack([y, -2 * y])
    reg2 = MLPRegressor((16,), learning_rate_init=0.05, max_iter=80, random_state=0).fit(X, Y)
    assert reg2.predict(X).shape == (80, 2) and reg2.n_outputs_ == 2
    from sklearn.metrics import r2_score

    assert reg2.score(X, Y) == pytest.approx(r2_score(Y, reg2.predict(X)))


def test_cross_val_score_and_grid_search():
    X, y = moons(90)
    scores = cross_val_score(MLPClassifier(**FAST), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    grid = GridSearchCV(MLPClassifier(**FAST), {"alpha": [1e-4, 1e-2]}, cv=2).fit(X, y)
    assert grid.best_params_["alpha"] in (1e-4, 1e-2)
    X_r, y_r = make_regression(60, n_features=2, seed=0)
    assert cross_val_score(MLPRegressor(**FAST), X_r, y_r, cv=3).mean() > 0.5


def test_pipeline_with_standard_scaler():
    X, y = moons()
    X = X * [100.0, 0.01] + [5000.0, 3.0]  # badly scaled features
    pipe = make_pipeline(StandardScaler(), MLPClassifier(**FAST))
    assert pipe.fit(X, y) is pipe
    assert pipe.predict(X).shape == (80,) and pipe.score(X, y) > 0.8
    assert pipe.get_params()["mlpclassifier__max_iter"] == 30
    pipe.set_params(mlpclassifier__max_iter=5)
    assert pipe.fit(X, y)[-1].n_iter_ == 5


def test_reproducible_with_random_state():
    X, y = moons()
    a = MLPClassifier(**FAST).fit(X, y)
    b = MLPClassifier(**FAST).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    c = MLPClassifier(**{**FAST, "random_state": 1}).fit(X, y)
    assert a.loss_curve_ != c.loss_curve_


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_sgd_solver_and_learning_rates(learning_rate):
    X, y = moons()
    clf = MLPClassifier((8,), solver="sgd", learning_rate=learning_rate, learning_rate_init=0.2, max_iter=40)
    clf.set_params(random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.8 if learning_rate != "invscaling" else clf.n_iter_ == 40


def test_convergence_stops_early_and_max_iter_warns():
    X, y = moons()
    clf = MLPClassifier((8,), learning_rate_init=0.05, tol=10.0, n_iter_no_change=2, max_iter=100, random_state=0)
    clf.fit(X, y)
    assert clf.n_iter_ == 4  # as scikit-learn: epoch 1 sets the best, epochs 2-4 fail, 3 > 2 stops
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    categories = [w.category for w in caught]
    assert any(issubclass(c, ConvergenceWarning) for c in categories)
    assert any(issubclass(c, SkConvergenceWarning) for c in categories)  # sklearn's filters apply


def test_adaptive_learning_rate_divides_by_five():
    X, y = moons()
    clf = MLPClassifier(
        (4,), solver="sgd", learning_rate="adaptive", tol=10.0, n_iter_no_change=1, max_iter=6, random_state=0
    )
    clf.fit(X, y)
    assert clf.n_iter_ == 6  # adaptive: no stop while lr > 1e-6, the rate shrinks instead


def test_early_stopping_keeps_the_best_validation_score():
    X, y = moons(120)
    clf = MLPClassifier(**{**FAST, "max_iter": 60, "early_stopping": True, "n_iter_no_change": 5})
    clf.fit(X, y)
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_warm_start_continues_training():
    X, y = moons()
    clf = MLPClassifier(**{**FAST, "max_iter": 5, "warm_start": True}).fit(X, y)
    first = [c.copy() for c in clf.coefs_]
    clf.fit(X, y)
    assert len(clf.loss_curve_) == 10 and not np.array_equal(first[0], clf.coefs_[0])


def test_errors():
    X, y = moons()
    with pytest.raises(NotFittedError, match="not fitted") as info:
        MLPClassifier().predict(X)
    assert isinstance(info.value, AutogradError) and isinstance(info.value, AttributeError)
    clf = MLPClassifier(**FAST).fit(X, y)
    with pytest.raises(ConfigError, match="3 features"):
        clf.predict(np.zeros((2, 3)))
    bad = [
        {"solver": "lbfgs"},
        {"activation": "softmax"},
        {"hidden_layer_sizes": (0,)},
        {"alpha": -1.0},
        {"learning_rate_init": 0.0},
        {"learning_rate": "cosine"},
        {"batch_size": 0},
        {"beta_1": 1.0},
        {"validation_fraction": 1.0},
        {"max_iter": 0},
    ]
    for params in bad:
        with pytest.raises(ConfigError):
            MLPClassifier(**params).fit(X, y)
    with pytest.raises(ConfigError, match="2 classes"):
        MLPClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ConfigError, match="2-D"):
        MLPRegressor().fit(np.arange(5.0), np.arange(5.0))


def test_digits_classifier_quick():
    X, y = load_digits()
    X_tr, y_tr, X_te, y_te = X[:1000], y[:1000], X[1000:], y[1000:]
    clf = MLPClassifier((32,), learning_rate_init=0.01, batch_size=32, max_iter=3, random_state=0).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) > 0.85


def test_complex_X_and_continuous_labels_are_refused():
    X = np.random.default_rng(0).random((20, 2))
    with pytest.raises(ValueError, match="real numbers"):
        MLPClassifier((4,), max_iter=2).fit(X + 0j, np.arange(20) % 2)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        MLPClassifier((4,), max_iter=2).fit(X, np.linspace(0, 1, 20))
