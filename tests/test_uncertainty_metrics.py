import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from sol_trainer.metrics import (binned_rmv_rmse, classification_uncertainty_metrics, coverage_curve, ence,
                                 expected_calibration_error, gaussian_nll, interval_coverage, mean_width,
                                 miscalibration_area, uncertainty_metrics)
from sol_trainer.reports import (plot_binned_rmse, plot_calibration_curve, plot_error_vs_similarity, plot_parity_intervals,
                               plot_uncertainty)

REGRESSION_KEYS = ["rmse", "mse", "mae", "r2", "pearson", "spearman_abs_err_std", "ence", "miscalibration_area", "nll"]


@pytest.fixture(scope="module")
def gaussian():
    "5000 rows with noise of standard deviation 1 and an honest std."
    rng = np.random.default_rng(1)
    mean = rng.normal(size=5000)
    return mean + rng.normal(size=5000), mean, np.ones(5000)


def test_fewer_rows_than_bins():
    assert math.isnan(ence([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0]))
    b = binned_rmv_rmse([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert len(b) == 0 and list(b.columns) == ["rmv", "rmse", "n"]
    assert not math.isnan(ence([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], n_bins=3))


def test_bins_equal_count_and_sorted_by_std():
    rng = np.random.default_rng(0)
    std = rng.uniform(0.1, 2.0, 103)
    b = binned_rmv_rmse(np.zeros(103), rng.normal(size=103), std, n_bins=10)
    assert b.n.sum() == 103 and set(b.n) == {10, 11}
    assert b.rmv.is_monotonic_increasing


def test_constant_std():
    y, mean = np.zeros(20), np.r_[np.full(10, 1.0), np.full(10, 3.0)]
    # stable sort keeps the order: bin 0 has errors 1 (RMSE 1), bin 1 errors 3 (RMSE 3); RMV 2 in both
    assert ence(y, mean, np.full(20, 2.0), n_bins=2) == pytest.approx(0.5)
    assert ence(y, np.ones(20), np.ones(20)) == 0.0
    assert miscalibration_area(y, mean, np.full(20, 2.0)) < 0.5


def test_zero_std_is_finite():
    assert math.isfinite(gaussian_nll([0.0, 1.0], [0.0, 0.0], [0.0, 0.0]))
    assert math.isfinite(ence(np.arange(10.0), np.zeros(10), np.zeros(10)))
    assert miscalibration_area([0.0, 0.0], [1.0, -1.0], [0.0, 0.0]) == pytest.approx(0.5, abs=0.01)


def test_calibrated_and_overconfident(gaussian):
    y, mean, std = gaussian
    expected, observed = coverage_curve(y, mean, std)
    assert len(expected) == 50 and np.abs(observed - expected).max() < 0.03
    assert ence(y, mean, std) < 0.06 and miscalibration_area(y, mean, std) < 0.02
    assert ence(y, mean, std / 2) == pytest.approx(1.0, abs=0.1)
    assert coverage_curve(y, mean, std / 2, levels=[0.9])[1][0] == pytest.approx(0.589, abs=0.02)
    assert gaussian_nll(y, mean, std) < gaussian_nll(y, mean, std / 2)


def test_intervals():
    assert interval_coverage([1, 2, 3], [1, 2.5, 0], [1, 3, 2]) == pytest.approx(1 / 3)  # bounds count as inside
    assert mean_width([0, 1], [1, 4]) == 2.0


def test_ece_two_classes_as_vector_or_matrix():
    rng = np.random.default_rng(2)
    p = rng.uniform(size=5000)
    y = (rng.uniform(size=5000) < p).astype(int)
    vector, matrix = expected_calibration_error(y, p), expected_calibration_error(y, np.column_stack([1 - p, p]))
    assert vector == pytest.approx(matrix) and vector < 0.03
    assert expected_calibration_error(y, (p > 0.5).astype(float)) > 0.2  # certain, but often wrong
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == 0.0


def test_ece_three_classes():
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]])
    # one bin of [0, 1): accuracy 2/3 against mean confidence 19/30
    assert expected_calibration_error([0, 1, 0], proba, n_bins=1) == pytest.approx(abs(2 / 3 - 19 / 30))


def test_uncertainty_metrics_keys(gaussian):
    y, mean, std = gaussian
    plain = uncertainty_metrics(y, mean, std)
    assert list(plain) == REGRESSION_KEYS
    full = uncertainty_metrics(y, mean, std, mean - 1.645 * std, mean + 1.645 * std)
    assert list(full) == REGRESSION_KEYS + ["coverage", "mean_width"]
    assert all(type(v) is float for v in full.values())
    assert full["coverage"] == pytest.approx(0.9, abs=0.02) and full["mean_width"] == pytest.approx(3.29)
    assert list(uncertainty_metrics(y, mean, std, lower=mean - 1)) == REGRESSION_KEYS  # one bound is no interval
    assert uncertainty_metrics([], [], []) == {}


def test_classification_uncertainty_metrics_label_order():
    y = ["b", "a", "b", "a"]
    proba = np.array([[0.2, 0.8], [0.9, 0.1], [0.4, 0.6], [0.3, 0.7]])  # columns: "b", "a"
    m = classification_uncertainty_metrics(y, proba, ["b", "a"])
    assert list(m) == ["accuracy", "f1", "auroc", "ece"]
    assert m["accuracy"] == 0.25 and m["auroc"] == roc_auc_score([0, 1, 0, 1], proba[:, 1])
    assert m["ece"] == expected_calibration_error([0, 1, 0, 1], proba)
    ints = classification_uncertainty_metrics([0, 1, 2], np.eye(3), [0, 1, 2])
    assert (ints["accuracy"], ints["auroc"], ints["ece"]) == (1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="not in class_labels"):
        classification_uncertainty_metrics(["c"], [[0.5, 0.5]], ["a", "b"])


def _frame(props, n=150, seed=0):
    rng = np.random.default_rng(seed)
    rows = len(props) * n
    mean, std = rng.normal(size=rows), rng.uniform(0.3, 1.0, rows)
    return pd.DataFrame({"prop": np.repeat(props, n), "value": mean + std * rng.normal(size=rows), "mean": mean,
                         "std": std, "raw": std / 2, "lower": mean - 1.645 * std, "upper": mean + 1.645 * std,
                         "similarity": rng.uniform(size=rows)})


def test_plot_uncertainty_two_properties(tmp_path):
    import matplotlib.pyplot as plt
    frame = _frame(["pIC50", "log S"])
    path = tmp_path / "u.png"
    fig = plot_uncertainty(frame, path, raw_std_column="raw")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    assert len(fig.axes) == 8 and [fig.axes[i].get_title() for i in (0, 4)] == ["pIC50", "log S"]
    assert len(fig.axes[0].lines) == 3 and len(fig.axes[4].get_legend().get_texts()) == 2  # diagonal, before, after
    assert len(plot_uncertainty(frame).axes[0].lines) == 2  # no raw column: diagonal and one curve
    plt.close("all")


def test_plot_uncertainty_without_similarity_or_with_gaps():
    import matplotlib.pyplot as plt
    frame = _frame(["pIC50"]).assign(similarity=np.nan)
    frame.loc[:4, "value"] = np.nan
    fig = plot_uncertainty(frame)
    assert len(fig.axes) == 4 and fig.axes[3].texts[0].get_text() == "no similarity"
    assert len(fig.axes[2].collections[1].get_offsets()) == 145  # rows without a value left out
    plt.close("all")


def test_panels_share_axes():
    import matplotlib.pyplot as plt
    y, mean, std = np.zeros(40), np.linspace(-1, 1, 40), np.full(40, 0.5)
    fig, ax = plt.subplots()
    assert plot_calibration_curve(y, mean, std, ax=ax, label="a") is fig
    plot_calibration_curve(y, mean, 2 * std, ax=ax, label="b")
    plot_binned_rmse(y, mean, std, ax=ax)
    assert len(ax.lines) == 4  # one diagonal for all three curves
    ax2 = plot_parity_intervals(y, mean, mean - 1, mean + 0.1).axes[0]  # intervals need not hold the mean symmetrically
    assert ax2.get_title() == f"coverage {interval_coverage(y, mean - 1, mean + 0.1):.1%}"
    ax3 = plot_error_vs_similarity(y, mean, np.r_[np.full(20, 0.5), np.full(20, np.nan)]).axes[0]
    assert len(ax3.collections[0].get_offsets()) == 20 and len(ax3.lines[0].get_xdata()) == 10
    plt.close("all")
