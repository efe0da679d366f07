__version__ = "0.4.0"

# Submodules load on first use (st.train, st.load, ...), so `import sol_trainer` stays fast.
import importlib as _importlib
import pkgutil as _pkgutil

_SUBMODULES = tuple(m.name for m in _pkgutil.iter_modules(__path__) if not m.name.startswith("_"))

# The short API a user reaches for first, each name found in its chapter's module on first use.
API = {"prepare_train": "prepare", "TrainConfig": "train", "train_kfold_ensemble": "train", "HpConfig": "hyperparameters",
       "bayes_search": "search", "train_recipe": "recipes", "train_table": "files", "predict_table": "files",
       "ModelRoot": "load", "load_ensemble": "load", "predict": "infer", "eval_ensemble": "infer",
       "ConfigTrainer": "config", "Mlp": "models", "MpnnMlp": "mpnn"}
__all__ = list(API)


def __getattr__(name):
    if name in _SUBMODULES: return _importlib.import_module(f"{__name__}.{name}")
    if name in API: return getattr(_importlib.import_module(f"{__name__}.{API[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__(): return sorted(list(globals()) + list(_SUBMODULES) + list(API))
