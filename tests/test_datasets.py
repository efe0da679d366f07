import logging

import pandas as pd
import pytest

from sol_trainer.datasets import (COLUMNS, _drop_unparsable, load_multitask, load_pic50, load_pic50_classification,
                                  load_tpsa, parse_smiles, rdkit_data_path)


def test_pic50_real_values():
    df = load_pic50()
    assert len(df) == 1017 and list(df.columns) == COLUMNS
    assert set(df.prop) == {"pIC50"} and df.compound_id.is_unique
    assert df.value.min() == pytest.approx(4.27) and df.value.max() == pytest.approx(9.22)
    row = df.set_index("compound_id").loc["1519813"]
    assert row.value == pytest.approx(9.22)
    assert row.smiles_string.startswith("Ic1ccc(Oc2ccc(cc2C#N)S(=O)(=O)Nc3ncns3)")


def test_tpsa_real_values():
    df = load_tpsa()
    assert len(df) == 4991  # 4999 data lines, 8 SMILES RDKit cannot parse
    assert df.value.min() == 0.0 and df.value.max() == pytest.approx(777.98)
    assert df.iloc[0].tolist() == ["NCI5k-0000", "CC1=CC(=O)C=CC1=O", "TPSA", 34.14]
    assert df.smiles_string.str.contains("#", regex=False).sum() > 0  # '#' in SMILES is not read as a comment


def test_loaders_return_fresh_frames():
    df = load_tpsa()
    df.loc[0, "value"] = -1.0
    assert load_tpsa().loc[0, "value"] == pytest.approx(34.14)


def test_multitask():
    df = load_multitask()
    assert df.index.equals(pd.RangeIndex(1017 + 4991))
    assert df.prop.value_counts().to_dict() == {"TPSA": 4991, "pIC50": 1017}
    assert list(df.columns) == COLUMNS


def test_classification_threshold():
    df = load_pic50_classification()
    assert set(df.prop) == {"pIC50_class"}
    assert df.value.value_counts().to_dict() == {"inactive": 664, "active": 353}
    assert (load_pic50_classification(threshold=9.22).value == "active").sum() == 1


def test_missing_file_is_clear():
    with pytest.raises(FileNotFoundError, match=r"installed RDKit .* lacks the data file 'NCI/bogus.csv'"):
        rdkit_data_path("NCI/bogus.csv")


def test_unparsable_rows_are_dropped_with_warning(caplog, capfd):
    df = pd.DataFrame({"compound_id": ["a", "b", "c"], "smiles_string": ["CCO", "C1CC", "c1ccccc1"], "prop": "x", "value": 1.0})
    with caplog.at_level(logging.WARNING, logger="sol_trainer"):
        kept = _drop_unparsable(df, "toy")
    assert kept.compound_id.tolist() == ["a", "c"] and kept.index.tolist() == [0, 1]
    assert "toy: dropped 1 of 3 rows" in caplog.text and "compound_id b" in caplog.text
    assert "SMILES Parse Error" not in capfd.readouterr().err
    assert parse_smiles("") is None and parse_smiles(None) is None
