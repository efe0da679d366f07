"`auto` keeps a blend of its two best families when it earns its margin; a blended root is a root like any other."
import json, subprocess, sys

import numpy as np
import pandas as pd
import pytest

import sol_trainer.recipes as recipes
from sol_trainer.ensemble import blend_columns
from sol_trainer.infer import eval_ensemble, predict
from sol_trainer.load import BlendEnsemble, ModelRoot, load_ensemble
from sol_trainer.recipes import train_recipe
from sol_trainer.root import BLEND_DIR, MANIFEST_FILE, MEMBERS_DIR


@pytest.fixture(scope="module")
def blended(tmp_path_factory, pic50_small):
    "A root trained by `auto` with the blend margin lifted, so that its two best families are blended."
    root = tmp_path_factory.mktemp("blend") / "model"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(recipes, "BLEND_MARGIN", -1.0); mp.setattr(recipes, "BLEND_CONSIDER", np.inf)
        report = train_recipe(pic50_small.iloc[:100], root, progress=False, search_calls=0, n_fold=2, epochs=3)
    return root, report, pic50_small.iloc[100:]


def test_the_report_lists_the_blend(blended):
    root, report, _ = blended
    blend = report["blend"]
    assert blend["kept"] and blend["recipes"][0] == report["recipe"]
    assert blend["recipes"][1] == report["screening"][1]["recipe"]
    assert np.isclose(sum(blend["weights"]["pIC50"]), 1.0)
    oof = json.loads((root / BLEND_DIR / "metadata" / "oof_metrics.json").read_text())
    assert report["oof"] == oof and np.isclose(oof["pIC50"]["rmse"], blend["scores"]["pIC50"]["blend"])


def test_a_fresh_process_predicts_what_the_blend_in_memory_predicts(blended, tmp_path):
    root, report, new = blended
    opened = ModelRoot(root, device="cpu")
    ensemble = load_ensemble(opened)
    assert isinstance(ensemble, BlendEnsemble)
    # in memory: each member's ensemble on its own, combined with the blend's weights
    second = report["blend"]["recipes"][1]  # the partner's member name is its recipe's
    alone = [predict(opened, new, member=m, calibrate=False)["mean"].to_numpy() for m in ("", second)]
    weights = opened.blend.row_weights(new["prop"])
    expected = blend_columns(weights, np.column_stack(alone))["prediction"]
    new.to_csv(tmp_path / "new.csv", index=False)
    code = ("import sys, pandas as pd; from sol_trainer.infer import predict; "
            "predict(sys.argv[1], pd.read_csv(sys.argv[2]), device='cpu').to_csv(sys.argv[3], index=False)")
    subprocess.run([sys.executable, "-c", code, str(root), str(tmp_path / "new.csv"), str(tmp_path / "out.csv")],
                   check=True)
    fresh = pd.read_csv(tmp_path / "out.csv")
    np.testing.assert_allclose(fresh["mean"], expected, rtol=1e-5)
    assert (fresh["lower"] < fresh["mean"]).all() and (fresh["mean"] < fresh["upper"]).all()
    np.testing.assert_allclose(eval_ensemble(ensemble, opened, new, device="cpu")[1], expected, rtol=1e-5)


def test_a_named_family_gives_a_root_of_one_ensemble(tmp_path, pic50_small):
    root = tmp_path / "vector"
    report = train_recipe(pic50_small.iloc[:60], root, "vector", progress=False, search_calls=0, n_fold=2, epochs=2)
    manifest = json.loads((root / MANIFEST_FILE).read_text())
    assert report["blend"] is None and "members" not in manifest
    assert not (root / MEMBERS_DIR).exists() and not (root / BLEND_DIR).exists()
    assert ModelRoot(root).blend is None


def test_a_blend_that_does_not_earn_its_margin_is_removed(tmp_path, pic50_small):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(recipes, "BLEND_MARGIN", np.inf); mp.setattr(recipes, "BLEND_CONSIDER", np.inf)
        report = train_recipe(pic50_small.iloc[:60], tmp_path / "m", progress=False, search_calls=0, n_fold=2, epochs=2)
    assert report["blend"] is not None and not report["blend"]["kept"]
    assert not (tmp_path / "m" / MEMBERS_DIR).exists() and ModelRoot(tmp_path / "m").blend is None


def test_predict_table_streams_a_blended_root(blended, tmp_path):
    from sol_trainer.tables import predict_table
    root, _, new = blended
    new.rename(columns={"smiles_string": "smiles"})[["smiles"]].to_csv(tmp_path / "new.csv", index=False)
    done = predict_table(root, tmp_path / "new.csv", tmp_path / "out.csv", chunk_rows=7, progress=False)
    out = pd.read_csv(tmp_path / "out.csv")
    assert done["failed"] == 0 and len(out) == len(new)
    np.testing.assert_allclose(out["pIC50_mean"], predict(root, new)["mean"], rtol=1e-5)
