"""The checks of notebook 15 (fine-tuning a classifier). Each right answer comes from the lesson's own
objects (the baseline's scores, the model's outputs, the runs, the test report), never written out."""

from __future__ import annotations

from typing import Any

from tinygrad_edu.exercises.compare import close, exact, exercise


@exercise("15.1", "baseline")
def _majority_macro_f1(answer: Any, baseline: dict) -> None:
    close(
        "exercise 1",
        answer,
        baseline["macro_f1"],
        rtol=1e-6,
        factors={"3 (the number of classes)": 3},
        hint="F1 = 2PR / (P + R) for comedy; the other two classes score 0; then divide the sum by 3.",
    )


@exercise("15.2", "pooled")
def _pooled_vector(answer: Any, pooled: Any) -> None:
    close(
        "exercise 2",
        answer,
        pooled,
        atol=1e-5,
        hint="hidden[:, 0] is (1, C); a Linear computes x @ W.T + b; tanh comes last.",
    )


@exercise("15.3", "runs")
def _trainable_parameters(answer: Any, runs: dict) -> None:
    exact(
        "exercise 3",
        answer,
        int(runs["frozen"][3]),
        hint="a Linear(in, out) has in x out weights and out biases; add the pooler's and the classifier's.",
    )


@exercise("15.4", "report")
def _history_recall(answer: Any, report: dict) -> None:
    close(
        "exercise 4",
        answer,
        report["per_class"]["history"]["recall"],
        rtol=1e-6,
        hint="take row 1 (history) of the confusion matrix: its diagonal cell divided by the row's sum.",
    )
