"Tuning end to end: thread-pool runs, Hyperband resuming after interruptions, bad input, and Bayesian versus random search."
import concurrent.futures
import json
import math
import os
import random
import time

import numpy as np
import pandas as pd
import pytest

from sol_trainer.searchers import SearchSpace, bayes_opt, hyp_opt, hyperband, hyperband_schedule


def toy_objective(params, budget, trial_dir):
    "Deterministic stand-in for training: resumes from trial_dir/state.json, logs each call, optimum at lr=1e-3, width=6."
    state = trial_dir / "state.json"
    done = json.loads(state.read_text())["epochs"] if state.exists() else 0
    assert budget > done, f"{trial_dir.name}: asked for {budget} epochs after {done}"
    state.write_text(json.dumps({"epochs": budget}))
    with open(trial_dir / "calls.txt", "a") as f: f.write(f"{done}->{budget}\n")
    return {"loss": (math.log10(params["lr"]) + 3) ** 2 + 0.1 * (params["width"] - 6) ** 2 + 1 / budget}


def jittery_objective(params, budget, trial_dir):
    "The toy objective after a random short sleep, so that threads finish out of order."
    time.sleep(random.Random(str(trial_dir) + str(budget)).uniform(0, 0.02))
    return toy_objective(params, budget, trial_dir)


class FailAt:
    "Wrap an objective so that its `at`-th call raises `error`; count the calls."
    def __init__(self, objective, at=0, error=KeyboardInterrupt):
        self.objective, self.at, self.error, self.calls = objective, at, error, 0

    def __call__(self, params, budget, trial_dir):
        self.calls += 1
        if self.calls == self.at: raise self.error("stop")
        return self.objective(params, budget, trial_dir)


def space():
    return (SearchSpace({"momentum": 0.9}).register("lr").register("width", "integer")
            .set_range("lr", -5, -1).set_range("width", 1, 8))


def same_table(a: pd.DataFrame, b: pd.DataFrame):
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))


def call_logs(folder, trials):
    return {t: (folder / t / "calls.txt").read_text() for t in trials}


N_RUNS = sum(n for bracket in hyperband_schedule(20) for n, _ in bracket)  # 22 trial runs for max_iter=20


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    "An uninterrupted in-process Hyperband run."
    folder = tmp_path_factory.mktemp("reference")
    return folder, hyperband(space(), toy_objective, max_iter=20, folder=folder, seed=3)


def test_thread_pool_gives_the_in_process_table(tmp_path, reference):
    ref_folder, ref = reference
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        threaded = hyperband(space(), jittery_objective, max_iter=20, folder=tmp_path / "hb", seed=3, executor=pool)
        random_threaded = hyp_opt(space(), jittery_objective, epochs=4, iters=12, folder=tmp_path / "rs", seed=1, executor=pool)
    same_table(threaded, ref)
    assert call_logs(tmp_path / "hb", ref["trial"].unique()) == call_logs(ref_folder, ref["trial"].unique())
    same_table(random_threaded, hyp_opt(space(), toy_objective, epochs=4, iters=12, folder=tmp_path / "rs_serial", seed=1))
    assert json.loads((tmp_path / "hb" / "best.json").read_text()) == json.loads((ref_folder / "best.json").read_text())


@pytest.mark.parametrize("at", [1, 5, 10, 13, 14, 20, N_RUNS])
def test_hyperband_resumes_after_interrupt(tmp_path, reference, at):
    ref_folder, ref = reference
    with pytest.raises(KeyboardInterrupt):
        hyperband(space(), FailAt(toy_objective, at), max_iter=20, folder=tmp_path, seed=3)
    state_before = (tmp_path / "hyperband_state.json").read_text()
    rerun = FailAt(toy_objective)
    resumed = hyperband(space(), rerun, max_iter=20, folder=tmp_path, seed=3)
    assert rerun.calls == N_RUNS - (at - 1)   # the finished runs are not redone
    assert (tmp_path / "hyperband_state.json").read_text() == state_before  # no new draws
    same_table(resumed, ref)
    assert call_logs(tmp_path, ref["trial"].unique()) == call_logs(ref_folder, ref["trial"].unique())
    best = json.loads((tmp_path / "best.json").read_text())
    assert best == json.loads((ref_folder / "best.json").read_text())
    assert os.readlink(tmp_path / "best_config") == best["trial"]
    done = FailAt(toy_objective)
    same_table(hyperband(space(), done, max_iter=20, folder=tmp_path, seed=3), ref)  # a third run only reads
    assert done.calls == 0


def test_hyperband_resumes_after_a_failed_thread(tmp_path, reference):
    ref_folder, ref = reference
    failing = FailAt(toy_objective, 12, RuntimeError)
    with concurrent.futures.ThreadPoolExecutor(3) as pool, pytest.raises(RuntimeError, match="stop"):
        hyperband(space(), failing, max_iter=20, folder=tmp_path, seed=3, executor=pool)
    finished = sum(len(json.loads(p.read_text())) for p in tmp_path.glob("trial_*/rungs.json"))
    rerun = FailAt(toy_objective)
    same_table(hyperband(space(), rerun, max_iter=20, folder=tmp_path, seed=3), ref)
    assert rerun.calls == N_RUNS - finished


def test_callable_space_is_reproducible(tmp_path):
    def get_config():
        return {"lr": float(10 ** np.random.uniform(-5, -1)), "width": random.randint(1, 8)}
    first = hyperband(get_config, toy_objective, max_iter=9, folder=tmp_path / "a", seed=5)
    second = hyperband(get_config, toy_objective, max_iter=9, folder=tmp_path / "b", seed=5)
    same_table(first, second)
    other = hyperband(get_config, toy_objective, max_iter=9, folder=tmp_path / "c", seed=6)
    assert not first["param.lr"].equals(other["param.lr"])


def test_bad_input_is_refused_before_any_trial(tmp_path):
    never = FailAt(toy_objective, 1, AssertionError)
    with pytest.raises(ValueError, match="max_iter must be a positive integer, got 0"):
        hyperband(space(), never, max_iter=0, folder=tmp_path)
    with pytest.raises(ValueError, match="eta must be a number >= 2, got 1"):
        hyperband(space(), never, max_iter=9, folder=tmp_path, eta=1)
    with pytest.raises(ValueError, match=r"'width': empty integer range \[8, 1\]"):
        space().set_range("width", 8, 1)
    with pytest.raises(ValueError, match=r"'lr': empty or inverted decimal range \(-1, -1\)"):
        space().set_range("lr", -1, -1)
    unranged = space().register("dropout", "real")
    for search in (lambda: hyperband(unranged, never, 9, tmp_path), lambda: hyp_opt(unranged, never, folder=tmp_path),
                   lambda: bayes_opt(unranged, never, 5, 1, tmp_path)):
        with pytest.raises(ValueError, match=r"\['dropout'\] are active but have no range"): search()
    assert never.calls == 0 and list(tmp_path.iterdir()) == []


def test_bayes_search_rerun_reads_trials_back(tmp_path):
    first = bayes_opt(space(), toy_objective, n_calls=7, budget=5, folder=tmp_path, seed=2, n_initial_points=3)
    assert first["param.momentum"].eq(0.9).all() and first["param.width"].between(1, 8).all()
    rerun = FailAt(toy_objective)
    same_table(bayes_opt(space(), rerun, n_calls=7, budget=5, folder=tmp_path, seed=2, n_initial_points=3), first)
    assert rerun.calls == 0


def test_bayes_trials_keep_the_callers_blas_threads(tmp_path):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    blas = lambda: [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
    seen = []
    def objective(params, budget, trial_dir):
        seen.append(blas())
        return toy_objective(params, budget, trial_dir)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        bayes_opt(space(), objective, n_calls=3, budget=1, folder=tmp_path, n_initial_points=2)
        assert seen == [blas()] * 3


def bowl(params, budget, trial_dir):
    "A 2-D objective with its optimum at lr = 10**-2.2, dropout = 0.35."
    return {"loss": (math.log10(params["lr"]) + 2.2) ** 2 / 4 + 10 * (params["dropout"] - 0.35) ** 2}


def test_bayes_search_beats_random_search(tmp_path):
    bowl_space = (SearchSpace().register("lr").register("dropout", "real")
                  .set_range("lr", -5, 0).set_range("dropout", 0, 0.8))
    n, random_best, bayes_best = 15, [], []
    for seed in range(3):
        random_best.append(hyp_opt(bowl_space, bowl, iters=n, folder=tmp_path / f"r{seed}", seed=seed)["metric.loss"].min())
        bayes_best.append(bayes_opt(bowl_space, bowl, n_calls=n, budget=1, folder=tmp_path / f"b{seed}", seed=seed)["metric.loss"].min())
    print(f"best loss after {n} trials, mean of 3 seeds: random {np.mean(random_best):.4g}, bayes {np.mean(bayes_best):.4g}")
    assert np.mean(bayes_best) < np.mean(random_best) / 10
