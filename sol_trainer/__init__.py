__version__ = "0.4.0"

# Submodules load on first use (st.train, st.load, ...), so `import sol_trainer` stays fast.
import importlib as _importlib
import importlib.abc as _abc
import importlib.util as _util
import pkgutil as _pkgutil
import sys as _sys

_SUBMODULES = tuple(m.name for m in _pkgutil.iter_modules(__path__) if not m.name.startswith("_"))

# The short API a user reaches for first, each name found in its chapter's module on first use.
API = {"prepare_train": "prepare", "TrainConfig": "train", "train_kfold_ensemble": "train",
       "HpConfig": "hyperparameters", "bayes_search": "kfold_search", "train_recipe": "recipes",
       "train_table": "tables", "predict_table": "tables",
       "ModelRoot": "load", "load_ensemble": "load", "predict": "infer", "eval_ensemble": "infer",
       "ConfigTrainer": "config", "Mlp": "models", "MpnnMlp": "mpnn"}
__all__ = list(API)

# Modules renamed for what they hold: the old name is the new module (`sol_trainer.parse is sol_trainer.reports`),
# so code, YAML configs and def.py files that name `sol_trainer.<old>.<name>` keep working.
RENAMED = {"parse": "reports", "cluster": "executors", "tune": "searchers", "search": "kfold_search", "files": "tables"}


class _RenamedModules(_abc.MetaPathFinder, _abc.Loader):
    "Imports `sol_trainer.<old name>` as the module it became."
    def find_spec(self, fullname, path=None, target=None):
        package, _, old = fullname.rpartition(".")
        return _util.spec_from_loader(fullname, self) if package == __name__ and old in RENAMED else None

    def create_module(self, spec):
        return _importlib.import_module(f"{__name__}.{RENAMED[spec.name.rpartition('.')[2]]}")

    def exec_module(self, module): pass


_sys.meta_path.insert(0, _RenamedModules())


def __getattr__(name):
    if name in _SUBMODULES or name in RENAMED: return _importlib.import_module(f"{__name__}.{name}")
    if name in API: return getattr(_importlib.import_module(f"{__name__}.{API[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__(): return sorted(list(globals()) + list(_SUBMODULES) + list(API))
