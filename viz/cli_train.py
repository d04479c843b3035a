"""What every ``backprop train`` run shares, MLP or CNN: the fit call and the model file it writes.

``fit_run`` passes the options both kinds of run take (``--optimizer``, ``--batch-size``,
``--seed``, ``--alpha``, ``--no-progress``, the held-out set as validation data) to
``nn.fit``; ``save_model`` writes ``model.json`` with the metadata ``backprop predict``
reads (task, loss, class names in output order, the ``--standardize`` scaling).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from . import cli_predict


def fit_run(
    model: Any,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    args: argparse.Namespace,
    *,
    loss: str,
    lr: float,
    epochs: int,
    **options: Any,
) -> Any:
    """``nn.fit`` on the training set with the run's shared options; ``test`` (maybe empty) validates.

    ``options`` go to ``fit`` as they are (a CNN run adds its schedule).

    Example:
        >>> import argparse
        >>> from nn import MLP
        >>> args = argparse.Namespace(optimizer="adam", batch_size=None, seed=0, alpha=0.0, no_progress=True)
        >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])
        >>> fit_run(MLP(2, [1], seed=0), (X, y), (X[:0], y[:0]), args, loss="mse", lr=0.1, epochs=3).epochs
        3
    """
    from nn import fit

    X, y = train
    Xte, yte = test
    return fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=args.optimizer,
        lr=lr,
        epochs=epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        alpha=args.alpha,
        validation_data=(Xte, yte) if len(Xte) else None,
        progress=not args.no_progress,
        **options,
    )


def save_model(
    path: Path,
    model: Any,
    task: Any,
    loss: str,
    mean: np.ndarray | None = None,
    std: np.ndarray | None = None,
) -> Path:
    """Save ``model`` to ``path`` with the metadata ``backprop predict`` needs; returns ``path``.

    ``task`` is the run's ``viz.dataset.Task`` (its kind and class labels); ``mean`` and
    ``std`` are the ``--standardize`` scaling, or None.

    Example:
        >>> import json, tempfile
        >>> from nn import MLP
        >>> from viz.dataset import decide_task
        >>> task = decide_task(np.array([0, 1, 1]), "cross_entropy", "auto")
        >>> path = save_model(Path(tempfile.mkdtemp()) / "model.json", MLP(2, [2], seed=0), task, "cross_entropy")
        >>> json.loads(path.read_text())["metadata"]["classes"]
        [0, 1]
    """
    classes = None if task.classes is None else task.classes.tolist()
    model.save(path, metadata=cli_predict.training_metadata(task.kind, loss, classes, mean, std))
    return path
