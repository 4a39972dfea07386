"""Task function references: parse, allow, import, and check how they will be called.

A reference names code that workers will run, so it is checked when the configuration is loaded:
only allowed modules are ever imported (importing runs code), and the callable found must itself
come from an allowed module, which closes the "allowed module re-exports os.system" hole.

Module caching. Modules that live next to the configuration ("local modules") are loaded from
their exact file, not by searching sys.path, because two configurations in one process (tests, a
server reloading another directory) may each have a `tasks.py`. A local module already in
sys.modules is reused when it comes from the expected file; when this loader imported it earlier
from another configuration directory it is evicted (with its submodules) and loaded again; when
something else imported it (the standard library, an installed package) it is never replaced:
the reference is rejected instead, since replacing it would break the rest of the process.
Workers use `resolve_function`, a plain import: they run one registry, so sys.path is enough.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

# Local top-level module name -> real path of the file this loader imported it from.
_loaded_here: dict[str, str] = {}
# Real paths of every directory given to ensure_module_paths: configuration directories.
_config_dirs: set[str] = set()
# Normalised ref -> (its module object, the callable); checked against sys.modules on use.
_resolved: dict[str, tuple[ModuleType, Callable[..., Any]]] = {}
_RESOLVED_MAX = 256


class FunctionRefError(Exception):
    """A reference that cannot be used; the message is written for the configuration's author."""


@dataclass(frozen=True, slots=True)
class FunctionRef:
    module: str
    qualname: str

    def __str__(self) -> str:
        return f"{self.module}:{self.qualname}"


def parse_function_ref(text: str) -> list[FunctionRef]:
    """The possible readings of `text`, the most likely first.

    Taipy writes f"{fn.__module__}.{fn.__name__}:function"; runner's form is "module:qualname".
    "a.b:function" is ambiguous (function `b` of module `a`, or `function` of module `a.b`), so both
    readings are returned, Taipy's first because that is what exported files contain.
    """
    module, sep, name = text.partition(":")
    if not sep or not _DOTTED.match(module) or not _DOTTED.match(name):
        raise FunctionRefError(
            f"malformed function reference {text!r}; expected 'package.module:function' "
            "or Taipy's 'package.module.function:function'"
        )
    readings = []
    if name == "function" and "." in module:
        taipy_module, _, taipy_name = module.rpartition(".")
        readings.append(FunctionRef(taipy_module, taipy_name))
    readings.append(FunctionRef(module, name))
    return readings


def _real(path: str) -> str:
    return os.path.realpath(path or os.curdir)


def _inside(path: str, directory: str) -> bool:
    return _real(path).startswith(_real(directory) + os.sep)


def local_modules(directory: str) -> frozenset[str]:
    """Top-level modules that live in `directory`: `name.py` files and `name/__init__.py` packages."""
    names = set()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return frozenset()
    for entry in entries:
        if entry.is_file() and entry.name.endswith(".py"):
            name = entry.name[:-3]
        elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
            name = entry.name
        else:
            continue
        if name.isidentifier() and name != "__init__":
            names.add(name)
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class ModulePolicy:
    """Which modules the tasks of one configuration directory may use."""

    config_dir: str
    # [CORE] allowed_modules; None means the local modules of config_dir.
    allowed: tuple[str, ...] | None
    local: frozenset[str]

    @classmethod
    def for_directory(cls, config_dir: str, allowed: tuple[str, ...] | None) -> ModulePolicy:
        config_dir = _real(config_dir)
        return cls(config_dir=config_dir, allowed=allowed, local=local_modules(config_dir))

    def is_allowed(self, module: str) -> bool:
        if self.allowed is None:
            return module.partition(".")[0] in self.local
        return any(module == prefix or module.startswith(prefix + ".") for prefix in self.allowed)

    def describe(self) -> str:
        if self.allowed is None:
            names = ", ".join(sorted(self.local)) or "none"
            return (
                f"the modules next to the configuration in {self.config_dir} ({names}); "
                "list other modules in [CORE] allowed_modules"
            )
        return f"the modules listed in [CORE] allowed_modules ({', '.join(self.allowed) or 'none'})"


def _module_file(module: ModuleType) -> str | None:
    file = getattr(module, "__file__", None)
    return _real(file) if isinstance(file, str) else None


def _local_file(directory: str, top: str) -> str:
    package = os.path.join(directory, top, "__init__.py")
    return _real(package if os.path.isfile(package) else os.path.join(directory, f"{top}.py"))


def _forget(top: str) -> None:
    """Drop a module this loader imported (and its submodules), so it can be loaded afresh."""
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]
    _loaded_here.pop(top, None)
    _resolved.clear()


def _installed_elsewhere(top: str, directory: str) -> str | None:
    """Where `top` would be found outside the configuration directories, if anywhere."""
    skip = _config_dirs | {directory}
    search = [p for p in sys.path if _real(p) not in skip]
    try:
        spec = importlib.machinery.PathFinder.find_spec(top, search)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def _load_local_top(top: str, directory: str) -> None:
    """Put the local module `top` of `directory` into sys.modules, from its exact file."""
    if top in sys.stdlib_module_names:
        raise FunctionRefError(
            f"module '{top}' in {directory} has the name of a standard-library module, "
            "so importing it would be ambiguous; rename it"
        )
    expected = _local_file(directory, top)
    existing = sys.modules.get(top)
    if existing is not None:
        origin = _module_file(existing)
        if origin == expected:
            return
        if origin is None or _loaded_here.get(top) != origin:
            raise FunctionRefError(
                f"module '{top}' in {directory} is shadowed by the already imported module '{top}' "
                f"from {origin or 'a built-in'}; rename it"
            )
        _forget(top)
    elsewhere = _installed_elsewhere(top, directory)
    if elsewhere is not None:
        raise FunctionRefError(
            f"module '{top}' in {directory} has the same name as the installed module at {elsewhere}; "
            "rename it"
        )
    spec = importlib.machinery.PathFinder.find_spec(top, [directory])
    if spec is None or spec.loader is None:
        raise FunctionRefError(f"cannot find module '{top}' in {directory}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[top] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(top, None)
        raise
    _loaded_here[top] = expected


def _check_location(module: ModuleType, policy: ModulePolicy) -> None:
    """A module must come from where the policy expects it, never silently from somewhere else."""
    top = module.__name__.partition(".")[0]
    file = _module_file(module)
    if top in policy.local:
        if file is None or not _inside(file, policy.config_dir):
            raise FunctionRefError(
                f"module '{module.__name__}' was loaded from {file or 'a built-in'}, "
                f"not from the configuration directory {policy.config_dir}; rename the local module"
            )
        return
    other_dirs = _config_dirs - {policy.config_dir}
    if file is not None and any(_inside(file, d) for d in other_dirs):
        raise FunctionRefError(
            f"module '{module.__name__}' was found in {file}, the directory of another configuration"
        )


def _import(name: str, policy: ModulePolicy) -> ModuleType:
    top = name.partition(".")[0]
    try:
        if top in policy.local:
            _load_local_top(top, policy.config_dir)
        module = importlib.import_module(name)
    except FunctionRefError:
        raise
    except (Exception, SystemExit) as exc:  # any failure of user code at import time is an issue
        raise FunctionRefError(f"cannot import module '{name}': {type(exc).__name__}: {exc}") from None
    _check_location(module, policy)
    return module


def _lookup(module: ModuleType, ref: FunctionRef) -> Any:
    obj: Any = module
    for part in ref.qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise FunctionRefError(f"module '{ref.module}' has no attribute '{ref.qualname}'") from None
    return obj


def load_function(ref: FunctionRef, policy: ModulePolicy) -> Callable[..., Any]:
    """Import and check one reading of a reference."""
    if not policy.is_allowed(ref.module):
        raise FunctionRefError(
            f"module '{ref.module}' is not allowed; task functions must come from {policy.describe()}"
        )
    fn: Callable[..., Any] = _lookup(_import(ref.module, policy), ref)
    if not callable(fn):
        raise FunctionRefError(f"'{ref}' is not callable (it is a {type(fn).__name__})")
    # A partial is as trustworthy as what it wraps; its own __module__ is "functools".
    target = fn
    while isinstance(target, functools.partial):
        target = target.func
    owner = getattr(target, "__module__", None)
    if not isinstance(owner, str):
        raise FunctionRefError(f"cannot tell which module '{ref}' comes from")
    if not policy.is_allowed(owner):
        raise FunctionRefError(
            f"'{ref}' is defined in module '{owner}', which is not allowed "
            f"(imported into '{ref.module}'?); task functions must come from {policy.describe()}"
        )
    owner_module = sys.modules.get(owner)
    if owner_module is not None:
        _check_location(owner_module, policy)
    return fn


def resolve_reference(text: str, policy: ModulePolicy) -> tuple[FunctionRef, Callable[..., Any]]:
    """The normalised reference and the callable `text` names; FunctionRefError if unusable."""
    readings = parse_function_ref(text)
    errors = []
    for ref in readings:
        try:
            return ref, load_function(ref, policy)
        except FunctionRefError as exc:
            errors.append(str(exc))
    # The fallback reading is worth mentioning only if it was really tried (its module is allowed).
    if len(errors) == 1 or not policy.is_allowed(readings[1].module):
        raise FunctionRefError(errors[0])
    raise FunctionRefError(f"{errors[0]} (also tried module '{readings[1].module}': {errors[1]})")


def check_call(
    fn: Callable[..., Any], ref: str, n_inputs: int, param_names: Sequence[str]
) -> list[tuple[str, str]]:
    """Problems with calling fn(*inputs, **params), as (key, message) pairs.

    The orchestrator passes inputs positionally and every declared param by keyword, so that is
    exactly what is bound here. Callables without an inspectable signature are not checked.
    """
    if inspect.isbuiltin(fn):
        return []
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    parameters = signature.parameters.values()
    takes_any_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
    keywords = {
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    problems = []
    bindable = []
    for name in param_names:
        if takes_any_keyword or name in keywords:
            bindable.append(name)
        else:
            message = f"param '{name}' is not a keyword parameter of {ref}{signature}"
            problems.append((f"params.{name}", message))
    try:
        signature.bind(*range(n_inputs), **dict.fromkeys(bindable))
    except TypeError as exc:
        given = f"{n_inputs} input(s) as positional arguments"
        if bindable:
            given += f" and params {', '.join(bindable)} as keywords"
        problems.append(("function", f"{ref}{signature} cannot be called with {given}: {exc}"))
    return problems


def ensure_module_paths(paths: Iterable[str]) -> None:
    """Put the configuration directories at the front of sys.path, each at most once."""
    for path in reversed([os.path.abspath(p) for p in paths]):
        _config_dirs.add(_real(path))
        if path not in sys.path:
            sys.path.insert(0, path)


def resolve_function(ref: str) -> Callable[..., Any]:
    """The callable of a normalised "module:qualname" reference, as checked at load time.

    Raises ValueError for a malformed reference, ImportError, AttributeError or TypeError otherwise.
    """
    module_name, sep, qualname = ref.partition(":")
    if not sep or not _DOTTED.match(module_name) or not _DOTTED.match(qualname):
        raise ValueError(f"malformed function reference {ref!r}; expected 'module:qualname'")
    cached = _resolved.get(ref)
    # A module evicted or reloaded since makes the cached callable stale.
    if cached is not None and sys.modules.get(module_name) is cached[0]:
        return cached[1]
    module = importlib.import_module(module_name)
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{ref} is not callable (it is a {type(obj).__name__})")
    fn: Callable[..., Any] = obj
    if len(_resolved) >= _RESOLVED_MAX:
        _resolved.clear()
    _resolved[ref] = (module, fn)
    return fn
