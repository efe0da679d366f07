__version__ = "0.4.0"

# Submodules load on first use (st.train, st.load, ...), so `import sol_trainer` stays fast.
import importlib as _importlib
import pkgutil as _pkgutil

_SUBMODULES = tuple(m.name for m in _pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def __getattr__(name):
    if name in _SUBMODULES: return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__(): return sorted(list(globals()) + list(_SUBMODULES))
