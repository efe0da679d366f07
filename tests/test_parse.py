import json
import math

import numpy as np
import pandas as pd
import pytest

from sol_trainer.history import format_epoch_line
from sol_trainer.reports import HISTORY_FILE, best_epochs, parse_log, plot_learning_curves, read_history, summarize


def _records():
    nan = float("nan")
    out = []
    for fold, vals in enumerate([[0.9, 0.5, 0.6], [0.8, 0.7, 0.7]]):
        for epoch, v in enumerate(vals):
            out.append({"fold": fold, "epoch": epoch, "train_loss": 1.0 / (epoch + 1), "val_loss": v, "lr": 1e-05,
                        "time": 0.25 * epoch, "best": epoch == 1, "val_rmse:log S": v, "val_r2:log S": -0.25 * epoch,
                        "val_mae:pIC50": nan if epoch == 0 else 2.5e-7, "val_r2:pIC50": -math.inf if epoch == 2 else 0.1})
    return out


def _write(tmp_path, records):
    (tmp_path / "logs").mkdir()
    (tmp_path / HISTORY_FILE).write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp_path


def test_round_trip_log_equals_records(tmp_path):
    recs = _records()
    text = "\n".join(["starting", *(f"INFO:sol_trainer.epochs:{format_epoch_line(r)}" for r in recs), "done"])
    parsed = parse_log(text)
    assert "val_rmse:log_S" in parsed.columns and "val_rmse:log S" not in parsed.columns
    renamed = [{k.replace(" ", "_"): v for k, v in r.items()} for r in recs]
    pd.testing.assert_frame_equal(parsed, read_history(_write(tmp_path, renamed)))
    assert parsed["val_r2:log_S"].tolist() == [0.0, -0.25, -0.5] * 2
    assert parsed["val_mae:pIC50"].iloc[1] == 2.5e-7 and math.isnan(parsed["val_mae:pIC50"].iloc[0])
    assert parsed["val_r2:pIC50"].iloc[2] == -math.inf and parsed.lr.eq(1e-05).all()
    assert parsed.best.dtype == bool and parsed.fold.dtype.kind == "i"


def test_format_epoch_line_values():
    line = format_epoch_line({"fold": np.int64(1), "epoch": 0, "train_loss": np.float32(0.5), "val_loss": None,
                              "best": False, "note": "warm start"})
    assert line == "epoch fold=1 epoch=0 train_loss=0.5 val_loss=nan best=0 note=warm_start"
    rec = parse_log("2026-01-01 10:00:00 INFO sol_trainer.epochs: " + line).iloc[0]
    assert rec.note == "warm_start" and not rec.best and math.isnan(rec.val_loss)


def test_read_history_nan_null_and_errors(tmp_path):
    root = _write(tmp_path, [])
    (root / HISTORY_FILE).write_text('{"fold": 0, "epoch": 0, "train_loss": 1.0, "val_loss": NaN, "best": true}\n'
                                     '\n{"fold": 0, "epoch": 1, "train_loss": 0.5, "val_loss": null, "best": false}\n')
    h = read_history(root)
    assert h.val_loss.isna().all() and h.best.tolist() == [True, False]
    assert best_epochs(h).epoch.tolist() == [1]  # no validation: lowest train_loss
    (root / HISTORY_FILE).write_text('{"fold": 0, "epoch": 0, "train_loss": 1.0, "val_loss": 1.0}\n[1, 2]\n')
    with pytest.raises(ValueError, match="line 2"):
        read_history(root)
    with pytest.raises(FileNotFoundError, match="elsewhere"):
        read_history(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="no epoch lines"):
        parse_log("nothing here\nat all")


def test_best_epochs_and_summary_exact():
    h = pd.DataFrame(_records())
    h = h.iloc[::-1]  # order of rows does not matter
    best = best_epochs(h)
    assert best.fold.tolist() == [0, 1] and best.epoch.tolist() == [1, 1]  # fold 1 ties 0.7 at epochs 1 and 2
    s = summarize(h)
    assert s.index.tolist() == ["log S", "pIC50"]
    assert s.loc["log S", "rmse_mean"] == pytest.approx(0.6)
    assert s.loc["log S", "rmse_std"] == pytest.approx(0.1414213562)  # ddof=1
    assert s.loc["log S", "r2_mean"] == pytest.approx(-0.25) and s.loc["log S", "n_folds"] == 2
    assert math.isnan(s.loc["log S", "mae_mean"]) and s.loc["pIC50", "mae_mean"] == pytest.approx(2.5e-7)
    single = summarize(h[h.fold == 1])
    assert single.loc["log S", "rmse_mean"] == pytest.approx(0.7) and math.isnan(single.loc["log S", "rmse_std"])


def test_plot_learning_curves_lines():
    import matplotlib.pyplot as plt
    fig = plot_learning_curves(pd.DataFrame(_records()))
    ax = fig.axes[0]
    assert len(ax.lines) == 4 and len(ax.collections) == 2
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss (scaled units)" and ax.get_yscale() == "log"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["train", "validation", "best epoch", "fold 0", "fold 1"]
    fig.canvas.draw()
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 > axes.x1 and not legend.overlaps(axes)  # beside the curves, not over them
    assert legend.x1 <= fig.bbox.x1 + 1  # the constrained layout keeps it inside the figure
    fig2, ax2 = plt.subplots()
    assert plot_learning_curves(pd.DataFrame(_records()), ax=ax2, log_y=False) is fig2 and ax2.get_yscale() == "linear"
    assert plot_learning_curves(pd.DataFrame(_records()), ylabel="BCE").axes[0].get_ylabel() == "BCE"
    plt.close("all")
