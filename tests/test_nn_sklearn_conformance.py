"""scikit-learn's own estimator checks pass for MLPClassifier and MLPRegressor (issue 15, item 7).

`parametrize_with_checks` runs every check of the installed scikit-learn (55 for the classifier,
53 for the regressor in 1.9) as its own test. Small networks and few epochs keep them cheap;
check_regressors_train still asks R² > 0.5, which 30 epochs of a 16-unit layer reach (≈0.72).
"""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from autograd_core import AutogradError
from nn.errors import ConfigError
from nn.estimators import DataConversionWarning, MLPClassifier, MLPRegressor, NotFittedError

sklearn = pytest.importorskip("sklearn")
scipy_sparse = pytest.importorskip("scipy.sparse")
from sklearn.exceptions import DataConversionWarning as SkDataConversionWarning  # noqa: E402
from sklearn.exceptions import NotFittedError as SkNotFittedError  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

QUICK = {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01, "max_iter": 30, "random_state": 0}


with warnings.catch_warnings():  # nn does not inherit BaseEstimator: scikit-learn stays optional
    warnings.filterwarnings("ignore", message="Estimator .* does not inherit from `sklearn.base.BaseEstimator`")
    ALL_CHECKS = parametrize_with_checks([MLPClassifier(**QUICK), MLPRegressor(**QUICK)])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@ALL_CHECKS
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def fitted(cls=MLPClassifier):
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int) if cls is MLPClassifier else X[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls((4,), max_iter=3, random_state=0).fit(X, y), X, y


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_not_fitted_is_scikit_learns_error_and_ours(cls):
    with pytest.raises(SkNotFittedError, match=f"This {cls.__name__} instance is not fitted yet") as info:
        cls().predict([[1.0, 2.0]])
    assert isinstance(info.value, NotFittedError) and isinstance(info.value, AutogradError)
    assert type(info.value).__name__ == "NotFittedError"


def test_error_wording_names_the_estimator_and_the_fix():
    clf, X, y = fitted()
    with pytest.raises(ConfigError, match=r"MLPClassifier: Expected a 2-D array .* got a 1-D array of shape \(3,\)"):
        clf.predict(X[0])
    with pytest.raises(ConfigError, match=r"X has 2 features, but MLPClassifier is expecting 3 features as input"):
        clf.predict(X[:, :2])
    with pytest.raises(ConfigError, match=r"X has 0 sample\(s\) \(shape=\(0, 3\)\)"):
        MLPClassifier().fit(np.empty((0, 3)), [])
    with pytest.raises(ConfigError, match="Complex data not supported"):
        MLPRegressor().fit(X + 1j, y)
    bad = X.astype(object)
    bad[0, 0] = {"a": 1}
    with pytest.raises(TypeError, match=r"MLPRegressor: X must hold real numbers; float\(\) argument must be"):
        MLPRegressor().fit(bad, y)
    with pytest.raises(ConfigError, match="MLPRegressor requires y to be passed, but the target y is None"):
        MLPRegressor().fit(X, None)
    with pytest.raises(ConfigError, match=r"y has 1 class \(\[7\]\)"):
        MLPClassifier().fit(X, np.full(len(X), 7))


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_X_trains_and_predicts_like_dense(cls, fmt):
    _, X, y = fitted(cls)
    X[np.abs(X) < 0.5] = 0.0
    sparse = scipy_sparse.csr_matrix(X).asformat(fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense_model = cls((4,), max_iter=3, random_state=0).fit(X, y)
        sparse_model = cls((4,), max_iter=3, random_state=0).fit(sparse, y)
    assert np.array_equal(dense_model.predict(X), sparse_model.predict(sparse))


def test_a_sparse_X_too_large_to_densify_is_refused_before_the_work():
    huge = scipy_sparse.csr_matrix((2**14, 2**13))  # 134M entries, none stored
    with pytest.raises(ConfigError, match="too large to densify"):
        MLPRegressor().fit(huge, np.zeros(2**14))


def test_column_vector_y_warns_scikit_learns_data_conversion_warning():
    _, X, y = fitted()
    with pytest.warns(SkDataConversionWarning, match="column-vector y"):
        clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y.reshape(-1, 1))
    assert clf.predict(X).shape == (len(X),)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y.reshape(-1, 1))
    assert any(issubclass(w.category, DataConversionWarning) for w in caught)


def test_without_scikit_learn_nn_imports_and_raises_its_own_errors():
    script = textwrap.dedent(
        """
        import sys, warnings
        for name in ("sklearn", "scipy"):
            sys.modules[name] = None  # as if not installed: importing them raises ImportError
        import numpy as np
        import nn
        from nn.estimators import DataConversionWarning, MLPClassifier, NotFittedError
        try:
            MLPClassifier().predict([[0.0]])
        except NotFittedError as err:
            assert type(err) is NotFittedError, type(err).__mro__
        else:
            raise AssertionError("no error")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            MLPClassifier((2,), max_iter=1).fit([[0.0], [1.0]], [[0], [1]])
        assert DataConversionWarning in [w.category for w in caught], caught
        assert not any(m.startswith("sklearn") for m in sys.modules if sys.modules[m] is not None)
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
