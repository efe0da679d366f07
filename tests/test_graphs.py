import json
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Batch

from sol_trainer.featurize import MorganFeaturizer, SmilesParseError, featurizer_from_dict, mol_from_smiles
from sol_trainer.graphs import (GraphFeaturizer, GraphStore, RepeatUnitError, atom_feature_names, atom_features,
                                bond_feature_names, bond_features, featurize_graphs)

A, B = atom_feature_names(), bond_feature_names()
FIELDS = ("x", "edge_index", "edge_attr", "atom_ptr", "edge_ptr")


def hot(names, table, scalars=None):
    row = np.zeros(len(table), dtype=np.float32)
    row[[table.index(n) for n in names]] = 1
    for n, v in (scalars or {}).items(): row[table.index(n)] = v
    return row


def on(x_row, table):
    "Names of the nonzero one-hot columns of a feature row."
    return {n for n, v in zip(table, x_row) if v and "/" not in n and n not in ("aromatic", "in_ring", "conjugated")}


def reverse_paired(g):
    e = torch.arange(g.edge_index.shape[1]) ^ 1
    return torch.equal(g.edge_index[:, e], g.edge_index.flip(0)) and torch.equal(g.edge_attr[e], g.edge_attr)


def same_store(a, b):
    return all(torch.equal(getattr(a, k), getattr(b, k)) for k in FIELDS)


def test_feature_widths_and_formaldehyde():
    assert (len(A), len(B)) == (73, 14) and len(set(A)) == 73
    assert GraphFeaturizer().atom_dim == 73 and GraphFeaturizer().bond_dim == 14
    mol = mol_from_smiles("C=O")
    common = ["charge=0", "chirality=unspecified", "hybridization=SP2", "degree=1"]
    np.testing.assert_allclose(atom_features(mol), np.stack([
        hot(["element=C", "num_hs=2", *common], A, {"mass/100": 0.12011}),
        hot(["element=O", "num_hs=0", *common], A, {"mass/100": 0.15999})]), atol=1e-6)
    np.testing.assert_array_equal(bond_features(mol), hot(["type=double", "stereo=none"], B)[None])


def test_graph_contract():
    f = GraphFeaturizer()
    for s in ["CC(=O)Nc1ccc(O)cc1", "OC(=O)C[NH3+].[Cl-]", "C[C@H](N)O", "C/C=C/C", "[*]CCO[*]", "[*]C[*]", "[*]CC[*]"]:
        g = f(s)
        assert g.x.dtype == torch.float32 and g.edge_index.dtype == torch.int64 and g.edge_attr.dtype == torch.float32
        assert g.x.shape[1] == 73 and g.edge_attr.shape == (g.edge_index.shape[1], 14) and g.edge_index.shape[1] % 2 == 0
        assert reverse_paired(g), s
    mol = mol_from_smiles("CC(=O)Nc1ccc(O)cc1")
    g = f("CC(=O)Nc1ccc(O)cc1")
    assert g.edge_index.shape == (2, 2 * mol.GetNumBonds())
    np.testing.assert_array_equal(g.edge_attr[::2].numpy(), bond_features(mol))
    assert g.edge_index[:, ::2].T.tolist() == [[b.GetBeginAtomIdx(), b.GetEndAtomIdx()] for b in mol.GetBonds()]


def test_charges_stereo_salts_and_single_atoms():
    f = GraphFeaturizer()
    assert on(f("C(=O)[O-]").x[2], A) >= {"element=O", "charge=-1"}
    assert on(f("[NH4+]").x[0], A) == {"element=N", "degree=0", "charge=+1", "chirality=unspecified", "num_hs=4", "hybridization=SP3"}
    assert f("C[C@@H](N)O").x[1, A.index("chirality=CW")] == 1 and f("C[C@H](N)O").x[1, A.index("chirality=CCW")] == 1
    assert on(f("C/C=C/C").edge_attr[2], B) == {"type=double", "stereo=E"}
    assert on(f(r"C/C=C\C").edge_attr[2], B) == {"type=double", "stereo=Z"}
    benzene = f("c1ccccc1")
    assert benzene.x[:, A.index("aromatic")].tolist() == [1.0] * 6 and benzene.edge_attr[:, B.index("in_ring")].all()
    salt = f("CC(=O)[O-].[Na+]")
    assert salt.num_nodes == 5 and not (salt.edge_index == 4).any()
    for s in ["C", "[Na+]", "[U]", "[Gd+3]"]:
        g = f(s)
        assert (g.x.shape, g.edge_index.shape, g.edge_attr.shape) == ((1, 73), (2, 0), (0, 14))
    assert f("[U]").x[0, A.index("element=other")] == 1 and f("[Gd+3]").x[0, A.index("charge=other")] == 1


def test_explicit_hydrogens():
    f = GraphFeaturizer()
    g = f("[H]C([H])([H])[H]")
    assert g.num_nodes == 5 and g.edge_index.shape == (2, 8)
    np.testing.assert_array_equal(g.x[1].numpy(), f("C").x[0].numpy())  # the carbon's row does not depend on how its Hs are written
    assert on(g.x[0], A) >= {"element=H", "degree=1", "num_hs=0"}
    assert GraphFeaturizer(keep_h=False)("[H]C([H])([H])[H]").num_nodes == 1


def test_periodic_polymer():
    f = GraphFeaturizer()
    g = f("[*]CCO[*]")
    assert g.num_nodes == 3 and g.x[:, A.index("element=*")].sum() == 0
    edges = g.edge_index.T.tolist()
    assert [0, 2] in edges and [2, 0] in edges  # the periodic C-O bond, both directions
    assert g.edge_index[:, 4:].tolist() == [[0, 2], [2, 0]]
    assert on(g.edge_attr[4], B) == {"type=single", "stereo=none"}
    assert on(g.x[0], A) == {"element=C", "degree=2", "charge=0", "chirality=unspecified", "num_hs=2", "hybridization=SP3"}
    for short in ("[*]C[*]", "[*]CC[*]", "[*]CC(C)[*]"):  # repeated until the ring has 3+ backbone atoms
        pairs = [tuple(e) for e in f(short).edge_index.T.tolist()]
        assert len(pairs) == len(set(pairs)) and all(u != v for u, v in pairs), short
    one_copy = GraphFeaturizer(min_ring=1)  # roots recorded before min_ring
    assert one_copy("[*]C[*]").edge_index.tolist() == [[0, 0], [0, 0]]
    assert one_copy("[*]CC[*]").edge_index.tolist() == [[0, 1, 0, 1], [1, 0, 1, 0]]
    torch.testing.assert_close(f("CCO").x, GraphFeaturizer(polymer="dummy")("CCO").x)


def test_dummy_polymer():
    g = GraphFeaturizer(polymer="dummy")("[*]CCO[*]")
    assert g.num_nodes == 5 and g.x[:, A.index("element=*")].tolist() == [1, 0, 0, 0, 1]
    assert g.edge_index.shape == (2, 8) and reverse_paired(g)


def test_bad_inputs_name_the_smiles():
    f = GraphFeaturizer()
    with pytest.raises(RepeatUnitError, match=r"not a polymer repeat unit: 1 '\*' atom \(a repeat unit has 0 or 2\): '\[\*\]CC'"):
        f("[*]CC")
    with pytest.raises(ValueError, match="not a polymer repeat unit: 3 '\\*' atoms"):
        GraphFeaturizer(polymer="dummy")("[*]C([*])C[*]")
    with pytest.raises(RepeatUnitError, match="different bond types"):
        f("[*]=CC[*]")
    with pytest.raises(SmilesParseError, match="''"):
        f("")
    with pytest.raises(SmilesParseError, match="'C1CC'"):
        f("C1CC")
    with pytest.raises(ValueError, match="polymer must be one of"):
        GraphFeaturizer(polymer="ring")


def test_round_trip_and_pickle():
    f = GraphFeaturizer(polymer="dummy", keep_h=False)
    d = json.loads(json.dumps(f.to_dict()))
    assert d["type"] == "GraphFeaturizer" and featurizer_from_dict(d) == f and f != GraphFeaturizer()
    assert f.is_graph and not MorganFeaturizer.is_graph
    g = pickle.loads(pickle.dumps(f))("[*]CCO[*]")
    assert torch.equal(g.edge_index, f("[*]CCO[*]").edge_index)


SMILES = ["CC(=O)O", "C", "[*]CCO[*]", "c1ccccc1O", "[Na+]", "CC(=O)[O-].[Na+]", "[*]C[*]", "C/C=C/C", "[Cl-]", "C[C@H](N)O"]


def test_store_batches_match_pyg():
    f = GraphFeaturizer()
    graphs = [f(s) for s in SMILES]
    store = GraphStore.from_graphs(graphs)
    assert len(store) == 10 and (store.atom_dim, store.bond_dim) == (73, 14)
    assert store.n_atoms == sum(g.num_nodes for g in graphs) and store.n_edges == sum(g.num_edges for g in graphs)
    idx = torch.randperm(10, generator=torch.Generator().manual_seed(0))
    for sel in [idx, idx.numpy(), idx.tolist(), [4, 1, 4, 8]]:
        b, ref = store[sel], Batch.from_data_list([graphs[i] for i in list(sel)])
        assert b.num_graphs == ref.num_graphs
        for k in ["x", "edge_index", "edge_attr", "batch", "ptr"]:
            assert torch.equal(b[k], ref[k]), k
        assert reverse_paired(b)
    assert store[1:4].num_graphs == 3 and torch.equal(store[::3].x, store[[0, 3, 6, 9]].x)
    empty = store[[]]
    assert empty.num_graphs == 0 and empty.x.shape == (0, 73) and empty.edge_index.shape == (2, 0)
    with pytest.raises(IndexError, match="out of range"):
        store[[10]]


def test_store_graph_cat_and_to():
    f = GraphFeaturizer()
    graphs = [f(s) for s in SMILES]
    store = GraphStore.from_graphs(graphs)
    for i in [0, 2, 4, -1]:
        for k in ["x", "edge_index", "edge_attr"]:
            assert torch.equal(store.graph(i)[k], graphs[i][k])
    assert torch.equal(store[3].x, graphs[3].x)
    assert same_store(GraphStore.cat([GraphStore.from_graphs(graphs[:4]), GraphStore.from_graphs(graphs[4:])]), store)
    assert store.to("cpu") is store and store.device == torch.device("cpu")
    assert len(GraphStore.empty(73, 14)) == 0
    with pytest.raises(ValueError, match="at least one graph"):
        GraphStore.from_graphs([])


def test_featurize_graphs_lists_every_failing_row():
    s = pd.Series(["CCO", "C1CC", "[*]CC", "CC(", "[*]C([*])[*]", "[*]CC[*]"], index=[10, 11, 12, 13, 14, 15])
    with pytest.raises(ValueError) as e:
        featurize_graphs(s, GraphFeaturizer(), progress=False, chunk_size=4)
    assert str(e.value) == ("4 of 6 SMILES give no usable graph: row 11: RDKit cannot parse the SMILES: 'C1CC'; row 12: not a polymer repeat "
                            "unit: 1 '*' atom (a repeat unit has 0 or 2): '[*]CC'; row 13: RDKit cannot parse the SMILES: 'CC('; row 14: not a "
                            "polymer repeat unit: 3 '*' atoms (a repeat unit has 0 or 2): '[*]C([*])[*]'")
    with pytest.raises(TypeError, match="graph featurizer"):
        featurize_graphs(["CCO"], MorganFeaturizer())


def test_featurize_graphs_parallel_match(pic50_small):
    smiles = pd.concat([pic50_small.smiles_string, pd.Series(SMILES)], ignore_index=True)
    f = GraphFeaturizer()
    one = featurize_graphs(smiles, f, progress=False)
    assert len(one) == 130 and same_store(one, GraphStore.from_graphs([f(s) for s in smiles]))
    assert same_store(one, featurize_graphs(smiles, f, n_jobs=2, chunk_size=32, progress=False))
    with pytest.raises(ValueError, match=r"row 2: not a polymer repeat unit: 1 '\*' atom \(a repeat unit has 0 or 2\): '\[\*\]C'; row 5: RDKit cannot parse the SMILES: 'C1CC'"):
        featurize_graphs(["CCO", "CC", "[*]C", "C", "O", "C1CC"], f, n_jobs=2, chunk_size=2, progress=False)
