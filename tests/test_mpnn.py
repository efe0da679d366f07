import pytest
import torch
from torch import nn

pytest.importorskip("torch_geometric")
from torch_geometric.data import Batch, Data

from sol_trainer.hyperparameters import HpConfig
from sol_trainer.models import MODELS, model_name
from sol_trainer.mpnn import (BondMessagePassing, MpnnMlp, MtConcat_PolyMpnn_Mlp, graph_readout, reverse_edges)
from sol_trainer.utils import load_weights, save_weights

ATOM_DIM, BOND_DIM = 5, 3


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def mol_graph(x, bonds, bond_feats):
    "Graph with atom rows `x`, bonds as (u, v) pairs written as u->v, v->u edge pairs, one feature row per bond."
    edge_index = torch.tensor([d for u, v in bonds for d in ((u, v), (v, u))], dtype=torch.long).reshape(-1, 2).T
    return Data(x=torch.as_tensor(x, dtype=torch.float32), edge_index=edge_index,
                edge_attr=torch.as_tensor(bond_feats, dtype=torch.float32).repeat_interleave(2, 0))


def random_bonds(n_atoms, n_bonds, g):
    "A random tree on `n_atoms` atoms plus extra bonds up to `n_bonds` (no duplicates, no self-loops)."
    assert n_atoms - 1 <= n_bonds <= n_atoms * (n_atoms - 1) // 2
    bonds = [(int(torch.randint(0, v, (1,), generator=g)), v) for v in range(1, n_atoms)]
    while len(bonds) < n_bonds:
        u, v = torch.randperm(n_atoms, generator=g)[:2].tolist()
        if (u, v) not in bonds and (v, u) not in bonds: bonds.append((u, v))
    return bonds


def random_graph(n_atoms, n_bonds, seed):
    g = torch.Generator().manual_seed(seed)
    bonds = random_bonds(n_atoms, n_bonds, g)
    return mol_graph(torch.randn(n_atoms, ATOM_DIM, generator=g), bonds, torch.randn(len(bonds), BOND_DIM, generator=g))


def lone_atom(seed=0):
    return mol_graph(torch.randn(1, ATOM_DIM, generator=torch.Generator().manual_seed(seed)), [], torch.zeros(0, BOND_DIM))


def salt():
    "Acetate-like four heavy atoms bonded, plus a counter-ion, in one graph."
    g = torch.Generator().manual_seed(7)
    return mol_graph(torch.randn(5, ATOM_DIM, generator=g), [(0, 1), (1, 2), (1, 3)], torch.randn(3, BOND_DIM, generator=g))


def model(**kw):
    torch.manual_seed(0)
    return MpnnMlp(**{"atom_dim": ATOM_DIM, "bond_dim": BOND_DIM, "hidden": 24, "hps": HpConfig(capacity=1), **kw})


@torch.no_grad()
def predict(m, graphs, **vectors):
    return m.eval()({"graph": Batch.from_data_list(graphs), **vectors})


def test_output_shapes():
    graphs = [random_graph(6, 6, 0), lone_atom(), random_graph(9, 10, 1)]
    batch = Batch.from_data_list(graphs)
    enc = BondMessagePassing(ATOM_DIM, BOND_DIM, hidden=16)
    assert enc(batch).shape == (16, 16)
    assert graph_readout(enc(batch), batch, "sum").shape == (3, 16)
    assert predict(model(), graphs).shape == (3, 1)
    assert predict(model(input_dim=2), graphs, x=torch.randn(3, 2)).shape == (3, 1)
    assert predict(model(output_dim=4), graphs).shape == (3, 4)  # classification logits


def relabelled(g, perm):
    "`g` with atom `perm[i]` renamed to i, and the bonds listed in a shuffled order with flipped directions."
    where = torch.empty(len(perm), dtype=torch.long)
    where[perm] = torch.arange(len(perm))
    n_bonds = g.edge_index.shape[1] // 2
    bond_order = torch.randperm(n_bonds, generator=torch.Generator().manual_seed(1))
    edges = torch.stack([2 * bond_order + 1, 2 * bond_order], 1).reshape(-1)  # each pair reversed: v->u first
    return Data(x=g.x[perm], edge_index=where[g.edge_index[:, edges]], edge_attr=g.edge_attr[edges])


@pytest.mark.parametrize("readout", ["mean", "sum"])
def test_atom_and_bond_order_do_not_matter(readout):
    m = model(readout=readout)
    g = random_graph(12, 14, 3)
    perm = torch.randperm(12, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(predict(m, [relabelled(g, perm)]), predict(m, [g]), atol=1e-5, rtol=1e-5)


def test_prediction_does_not_depend_on_the_batch():
    m = model(input_dim=4, n_tasks=2)
    g = random_graph(8, 9, 4)
    x = torch.randn(4, 2)
    sel = torch.tensor([[0., 1], [1, 0], [0, 1], [1, 0]])
    together = predict(m, [random_graph(5, 4, 5), lone_atom(), g, salt()], x=x, selector=sel)
    alone = predict(m, [g], x=x[2:3], selector=sel[2:3])
    torch.testing.assert_close(together[2:3], alone, atol=1e-5, rtol=1e-5)


def test_one_atom_graphs():
    m = model()
    enc = m.encoder
    batch = Batch.from_data_list([lone_atom(0), lone_atom(1)])  # no edges in the whole batch
    assert batch.edge_index.shape == (2, 0)
    with torch.no_grad():
        expected = nn.functional.leaky_relu(enc.W_o(torch.cat([batch.x, torch.zeros(2, 24)], 1)))
        torch.testing.assert_close(enc(batch), expected)
    out = m.train()({"graph": batch})
    assert out.shape == (2, 1) and torch.isfinite(out).all()
    out.sum().backward()  # W_i and W_h see no edges: zero gradient, but no error


def test_salt_components_pass_messages_only_inside():
    m = model()
    s = salt()
    anion = mol_graph(s.x[:4], [(0, 1), (1, 2), (1, 3)], s.edge_attr[::2])
    cation = mol_graph(s.x[4:], [], torch.zeros(0, BOND_DIM))
    with torch.no_grad():
        whole = m.encoder(Batch.from_data_list([s]))
        torch.testing.assert_close(whole, m.encoder(Batch.from_data_list([anion, cation])))
    pooled = Batch.from_data_list([anion, cation])
    with torch.no_grad():
        emb = graph_readout(m.encoder(pooled), pooled, "sum").sum(0, keepdim=True)
        torch.testing.assert_close(graph_readout(whole, Batch.from_data_list([s]), "sum"), emb)
    assert torch.isfinite(predict(m, [s])).all()


def test_selector_picks_the_head_of_each_row():
    m = model(n_tasks=3, input_dim=3)
    g = random_graph(7, 7, 6)
    eye = torch.eye(3)
    rows = predict(m, [g, g, g], selector=eye)
    with torch.no_grad():
        emb = graph_readout(m.encoder(Batch.from_data_list([g, g, g])), Batch.from_data_list([g, g, g]))
        head = m.head
        heads = head.out(head.hps.activation_fn(head.hidden[0](torch.cat([emb, eye], 1))))  # (3 rows, 3 tasks)
    torch.testing.assert_close(rows[:, 0], heads.diagonal())
    assert len(set(rows[:, 0].tolist())) == 3


@pytest.mark.parametrize("depth", [1, 3])
def test_gradients_reach_every_parameter(depth):
    m = model(depth=depth, n_tasks=2, input_dim=4)
    graphs = [random_graph(6, 7, s) for s in range(4)]
    batch = {"graph": Batch.from_data_list(graphs), "x": torch.randn(4, 2), "selector": torch.eye(2).repeat(2, 1)}
    m.train()(batch).square().sum().backward()
    names = {n for n, _ in m.named_parameters()}
    assert ("encoder.W_h.weight" in names) == (depth > 1)
    assert [n for n, p in m.named_parameters() if p.grad is None or p.grad.abs().sum() == 0] == []


def reference_encoder(enc, g):
    "D-MPNN written edge by edge, finding each edge's reverse by its end points, not by its position."
    act = torch.relu
    src, dst = g.edge_index.tolist()
    n_edges, n_atoms = len(src), len(g.x)
    h0 = [act(enc.W_i(torch.cat([g.x[src[e]], g.edge_attr[e]]))) for e in range(n_edges)]
    h = list(h0)
    for _ in range(enc.depth - 1):
        new = []
        for e in range(n_edges):
            m = sum((h[f] for f in range(n_edges) if dst[f] == src[e] and src[f] != dst[e]), torch.zeros(enc.hidden))
            new.append(act(h0[e] + enc.W_h(m)))
        h = new
    atom_msgs = [sum((h[e] for e in range(n_edges) if dst[e] == v), torch.zeros(enc.hidden)) for v in range(n_atoms)]
    return torch.stack([act(enc.W_o(torch.cat([g.x[v], atom_msgs[v]]))) for v in range(n_atoms)])


def test_matches_a_per_edge_reference():
    torch.manual_seed(0)
    enc = BondMessagePassing(ATOM_DIM, BOND_DIM, hidden=8, depth=4, bias=True)
    ring_and_branch = mol_graph(torch.randn(6, ATOM_DIM), [(0, 1), (1, 2), (2, 3), (3, 0), (2, 4), (4, 5)], torch.randn(6, BOND_DIM))
    chain = mol_graph(torch.randn(3, ATOM_DIM), [(0, 1), (1, 2)], torch.randn(2, BOND_DIM))
    batch = Batch.from_data_list([ring_and_branch, lone_atom(), chain])
    with torch.no_grad():
        expected = torch.cat([reference_encoder(enc, g) for g in (ring_and_branch, lone_atom(), chain)])
        torch.testing.assert_close(enc(batch), expected, atol=1e-5, rtol=1e-5)


def test_hand_computed_chain():
    "A-B-C with features 1, 2, 3, identity weights: edge B->A carries x_B + x_C, so A gets 5, B 1 + 3, C 2 + 1."
    enc = BondMessagePassing(1, 1, hidden=1, depth=2)
    with torch.no_grad():
        enc.W_i.weight.copy_(torch.tensor([[1., 0.]])); enc.W_h.weight.fill_(1.)
        enc.W_o.weight.copy_(torch.tensor([[0., 1.]])); enc.W_o.bias.zero_()
        out = enc(Batch.from_data_list([mol_graph([[1.], [2.], [3.]], [(0, 1), (1, 2)], [[0.], [0.]])]))
    assert out.squeeze(1).tolist() == [5.0, 4.0, 3.0]


def test_bad_graphs_are_named():
    enc = BondMessagePassing(ATOM_DIM, BOND_DIM)
    g = random_graph(4, 3, 0)
    with pytest.raises(ValueError, match=r"edge 0 \(\d+->\d+\) is paired with edge 1 "):
        enc(Data(x=g.x, edge_index=g.edge_index[:, [0, 2, 1, 3, 4, 5]], edge_attr=g.edge_attr))
    with pytest.raises(ValueError, match="odd number of edges"):
        reverse_edges(g.edge_index[:, :5])
    with pytest.raises(ValueError, match=f"graph.x has shape \\(4, {ATOM_DIM}\\), expected \\(n_atoms, 7\\) for atom_dim=7"):
        BondMessagePassing(7, BOND_DIM)(g)
    with pytest.raises(ValueError, match="graph.edge_attr has shape \\(5, 3\\), expected \\(6, 3\\) for bond_dim=3"):
        enc(Data(x=g.x, edge_index=g.edge_index, edge_attr=g.edge_attr[:5]))
    with pytest.raises(ValueError, match="graph.edge_attr has shape \\(0, 2\\), expected \\(0, 3\\)"):
        enc(Data(x=g.x, edge_index=g.edge_index[:, :0], edge_attr=torch.zeros(0, 2)))


def test_bad_arguments_and_batches_are_named():
    with pytest.raises(ValueError, match="readout='max'"):
        model(readout="max")
    with pytest.raises(ValueError, match="depth must be"):
        BondMessagePassing(ATOM_DIM, BOND_DIM, depth=0)
    with pytest.raises(ValueError, match="activation='swish'"):
        BondMessagePassing(ATOM_DIM, BOND_DIM, activation="swish")
    with pytest.raises(TypeError, match="atom_dim"):
        MpnnMlp(0, 1)
    m = model(input_dim=2)
    graphs = [random_graph(4, 4, 0), random_graph(5, 5, 1)]
    with pytest.raises(ValueError, match="input_dim=2"):
        predict(m, graphs, x=torch.randn(2, 3))
    with pytest.raises(ValueError, match="2 graphs but"):
        predict(m, graphs, x=torch.randn(3, 2))
    with pytest.raises(KeyError, match="batch\\['graph'\\]"):
        m({"x": torch.randn(2, 2)})


def test_dropout_follows_hps_and_mc_dropout_varies():
    m = model(hps=HpConfig(capacity=1, dropout_pct=0.3))
    assert m.encoder.dropout.p == 0.3 and isinstance(m.encoder.dropout, nn.Dropout)
    assert model(hps=HpConfig(dropout_pct=0.3), dropout=0.0).encoder.dropout.p == 0.0
    m.eval()
    for mod in m.modules():
        if isinstance(mod, nn.Dropout): mod.train()
    batch = {"graph": Batch.from_data_list([random_graph(6, 6, 0)])}
    with torch.no_grad(): assert not torch.equal(m(batch), m(batch))


def test_reset_parameters_and_weights_round_trip(tmp_path):
    m = model(depth=2)
    batch = {"graph": Batch.from_data_list([random_graph(6, 6, 0), lone_atom()])}
    before = predict(m, batch["graph"].to_data_list())
    save_weights(m, tmp_path / "m.safetensors")
    torch.manual_seed(123); m.reset_parameters()
    assert not torch.allclose(predict(m, batch["graph"].to_data_list()), before)
    torch.testing.assert_close(predict(load_weights(m, tmp_path / "m.safetensors", "cpu"), batch["graph"].to_data_list()), before)
    torch.manual_seed(0); m.reset_parameters()
    assert m.head.out.bias.abs().sum() == 0 and m.encoder.W_o.bias.abs().sum() > 0  # head as configured, encoder PyTorch's default


def test_registered_under_one_name():
    assert MtConcat_PolyMpnn_Mlp is MpnnMlp
    assert MODELS["MpnnMlp"] is MpnnMlp and model_name(MtConcat_PolyMpnn_Mlp) == "MpnnMlp"


def test_learns_a_structural_target():
    "The number of bonds of 64 random graphs whose atoms and bonds all have the same features."
    g = torch.Generator().manual_seed(0)
    graphs, n_bonds = [], []
    for _ in range(64):
        n_atoms = int(torch.randint(4, 9, (1,), generator=g))
        bonds = random_bonds(n_atoms, n_atoms - 1 + int(torch.randint(0, 3, (1,), generator=g)), g)
        x = torch.zeros(n_atoms, ATOM_DIM); x[:, 0] = 1  # every atom alike: only the bonds carry information
        graphs.append(mol_graph(x, bonds, torch.ones(len(bonds), BOND_DIM)))
        n_bonds.append(len(bonds))
    y = torch.tensor(n_bonds, dtype=torch.float32).unsqueeze(1)
    y = (y - y.mean()) / y.std()
    m = model(readout="sum", hidden=32)
    batch = {"graph": Batch.from_data_list(graphs)}
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    losses = []
    for _ in range(300):
        opt.zero_grad()
        loss = nn.functional.mse_loss(m(batch), y)
        loss.backward(); opt.step(); losses.append(loss.item())
    assert losses[-1] < 0.1 and losses[-1] < 0.05 * losses[0], (losses[0], losses[-1])
