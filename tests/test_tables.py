"Training and predicting on files: wide and melted tables, CSV and Parquet, chunked streaming, unreadable rows, bad files, the commands."
import re

import numpy as np
import pandas as pd
import pytest

from sol_trainer.cli import main
from sol_trainer.tables import check_table, melt_targets, predict_table, read_chunks, read_table, train_table


@pytest.fixture(scope="module")
def root(tmp_path_factory, pic50_small):
    folder = tmp_path_factory.mktemp("tables")
    pic50_small.rename(columns={"smiles_string": "smiles", "value": "pIC50"})[["smiles", "pIC50"]].to_parquet(folder / "train.parquet")
    train_table(folder / "train.parquet", folder / "model", progress=False, search_calls=0, n_fold=2, epochs=2)
    return folder / "model"


def test_melted_table_trains(tmp_path, pic50_small):
    pic50_small.to_csv(tmp_path / "melted.csv", index=False)
    report = train_table(tmp_path / "melted.csv", tmp_path / "m", melted=True, progress=False, search_calls=0, n_fold=2, epochs=1)
    assert report["rows"] == len(pic50_small) and list(report["oof"]) == ["pIC50"]


def test_wide_table_needs_its_columns(tmp_path):
    pd.DataFrame({"smiles": ["CCO"], "logS": [1.0]}).to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(KeyError, match=r"w.csv has no column\(s\) \['pKa'\]; it has \['smiles', 'logS'\]"):
        train_table(tmp_path / "w.csv", tmp_path / "m", target_columns=["pKa"], progress=False)
    assert not (tmp_path / "m").exists()
    with pytest.raises(ValueError, match="hold no values"):
        melt_targets(pd.DataFrame({"smiles": ["CCO"], "logS": [np.nan]}), "smiles", ["logS"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_streams_every_row(tmp_path, root, pic50_small, suffix):
    queries = pd.DataFrame({"name": [f"m{i}" for i in range(25)], "smiles": pic50_small["smiles_string"].head(25).tolist()})
    queries.loc[[3, 17], "smiles"] = ["C1CC", "xyz"]
    queries.to_csv(tmp_path / "in.csv", index=False)
    done = predict_table(root, tmp_path / "in.csv", tmp_path / f"out{suffix}", chunk_rows=7, progress=False)
    assert (done["rows"], done["failed"]) == (25, 2) and [f["row"] for f in done["failures"]] == [3, 17]
    out = read_table(tmp_path / f"out{suffix}")
    assert out["name"].tolist() == queries["name"].tolist()
    assert out["pIC50_mean"].isna().sum() == 2 and out["pIC50_mean"].notna().sum() == 23
    ok = out["pIC50_mean"].notna()
    assert ((out["pIC50_lower"] < out["pIC50_mean"]) & (out["pIC50_mean"] < out["pIC50_upper"]))[ok].all()


def test_chunks_are_numbered_across_the_file(tmp_path):
    pd.DataFrame({"a": range(10)}).to_csv(tmp_path / "t.csv", index=False)
    assert [c.index[0] for c in read_chunks(tmp_path / "t.csv", 4)] == [0, 4, 8]


def test_commands_exit_codes(tmp_path, root, pic50_small):
    pd.DataFrame({"smiles": pic50_small["smiles_string"].head(3)}).to_csv(tmp_path / "good.csv", index=False)
    main(["predict", str(root), str(tmp_path / "good.csv"), str(tmp_path / "good_out.csv")])  # no failure: returns normally
    assert len(pd.read_csv(tmp_path / "good_out.csv")) == 3
    pd.DataFrame({"smiles": ["CCO", "not smiles"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(SystemExit) as e:
        main(["predict", str(root), str(tmp_path / "bad.csv"), str(tmp_path / "bad_out.csv")])
    assert e.value.code == 1 and len(pd.read_csv(tmp_path / "bad_out.csv")) == 2


@pytest.mark.parametrize("text, message", [("", "is empty (0 bytes)"), ("smiles,pIC50\n", "has a header but no data rows"),
                                           ("\n\n", "is empty: it has no header line")])
def test_empty_tables_are_named(tmp_path, text, message):
    (tmp_path / "t.csv").write_text(text)
    for call in (lambda: train_table(tmp_path / "t.csv", tmp_path / "m", progress=False),
                 lambda: predict_table(tmp_path, tmp_path / "t.csv", tmp_path / "out.csv", progress=False)):
        with pytest.raises(ValueError, match=re.escape(f"t.csv {message}")): call()
    assert not (tmp_path / "m").exists() and not (tmp_path / "out.csv").exists()


def test_empty_parquet_is_named(tmp_path):
    pd.DataFrame({"smiles": pd.Series([], dtype=str)}).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(ValueError, match="t.parquet has a header but no data rows"): check_table(tmp_path / "t.parquet")


def test_text_in_a_regression_target_names_rows(tmp_path):
    table = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC", "CCCl", "c1ccccc1"], "pIC50": [6.1, None, 7.2, 5.0, 5.5]}).astype({"pIC50": object})
    table.loc[[2, 4], "pIC50"] = [">10", "n.d."]
    table.to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(ValueError, match=r"w.csv, column 'pIC50' mixes numbers and text: line 4 '>10', line 6 'n.d.'"):
        train_table(tmp_path / "w.csv", tmp_path / "m", progress=False)
    melted = table.rename(columns={"smiles": "smiles_string", "pIC50": "value"}).assign(prop="pIC50")
    melted.to_csv(tmp_path / "melted.csv", index=False)
    with pytest.raises(ValueError, match=r"melted.csv, column 'value' mixes numbers and text: line 4 '>10'"):
        train_table(tmp_path / "melted.csv", tmp_path / "m", melted=True, progress=False)
    assert not (tmp_path / "m").exists()


def test_missing_output_folders_are_named(tmp_path, root, pic50_small):
    pd.DataFrame({"smiles": pic50_small["smiles_string"].head(3)}).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(FileNotFoundError, match=re.escape(f"The folder {tmp_path / 'no'} does not exist")):
        predict_table(root, tmp_path / "in.csv", tmp_path / "no" / "out.csv", progress=False)
    with pytest.raises(FileNotFoundError, match=re.escape(f"The folder {tmp_path / 'runs'} does not exist")):
        train_table(tmp_path / "in.csv", tmp_path / "runs" / "model", target_columns=["smiles"], progress=False)
    with pytest.raises(FileNotFoundError, match="nowhere does not exist"):
        predict_table(tmp_path / "nowhere", tmp_path / "in.csv", tmp_path / "out.csv", progress=False)
    with pytest.raises(ValueError, match="unknown table format '.txt'"):
        predict_table(root, tmp_path / "in.csv", tmp_path / "out.txt", progress=False)
