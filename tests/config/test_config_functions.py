"""Function references: forms, the allowed-modules policy, imports, signatures, module caching."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from config_helpers import Project, one

from runner.config import Location, load_registry
from runner.config.functions import ensure_module_paths, resolve_function
from runner.errors import ConfigError


def task(function: str, inputs: str = "[]") -> str:
    """Data nodes a, b, c and a task t calling `function` with `inputs`."""
    nodes = "[DATA_NODE.a]\n[DATA_NODE.b]\n[DATA_NODE.c]\n"
    return f'{nodes}[TASK.t]\nfunction = "{function}"\ninputs = {inputs}\n'


def function_issue(project: Project, text: str, message: str) -> str:
    issue = one(project.issues(text), message)
    assert issue.location == Location(file=project.file(), section="TASK.t", key="function")
    return issue.message


# --- forms -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "normalised"),
    [
        ("$mod:double", "$mod:double"),
        ("$mod.double:function", "$mod:double"),
        ("$mod:Helper.run", "$mod:Helper.run"),
        ("$mod:function", "$mod:function"),
    ],
)
def test_reference_forms_are_normalised(project: Project, ref: str, normalised: str) -> None:
    project.module(
        "def double(x):\n    return 2 * x\n\n"
        "def function(x):\n    return x\n\n"
        "class Helper:\n    @staticmethod\n    def run(x):\n        return x + 1\n"
    )
    registry = project.load(task(ref, '["a"]'))
    expected = normalised.replace("$mod", project.mod)
    assert registry.tasks["t"].function == expected
    assert callable(resolve_function(expected))


def test_taipy_form_falls_back_to_a_function_named_function(project: Project) -> None:
    project.write(f"{project.mod}/__init__.py", "")
    project.write(f"{project.mod}/sub.py", "def function(x):\n    return x * 10\n")
    registry = project.load(task("$mod.sub:function", '["a"]'))
    assert registry.tasks["t"].function == f"{project.mod}.sub:function"
    assert resolve_function(registry.tasks["t"].function)(2) == 20


def test_package_next_to_the_config_is_allowed(project: Project) -> None:
    project.write(f"{project.mod}/__init__.py", "")
    project.write(f"{project.mod}/steps/__init__.py", "")
    project.write(f"{project.mod}/steps/clean.py", "def run(x):\n    return x\n")
    registry = project.load(task("$mod.steps.clean:run", '["a"]'))
    assert registry.tasks["t"].function == f"{project.mod}.steps.clean:run"


@pytest.mark.parametrize("ref", ["nocolon", "a:b:c", "1mod:f", "mod:", ":f", "mod:f-g", "mod.:f"])
def test_malformed_references(project: Project, ref: str) -> None:
    message = function_issue(project, task(ref), "malformed function reference")
    assert repr(ref) in message


# --- the allowed-modules policy --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "module"),
    [
        ("os:system", "os"),
        ("builtins:eval", "builtins"),
        ("subprocess:run", "subprocess"),
        ("posix:system", "posix"),
        ("os.system:function", "os"),
        ("importlib:import_module", "importlib"),
    ],
)
def test_dangerous_references_are_rejected(project: Project, ref: str, module: str) -> None:
    message = function_issue(project, task(ref), f"module '{module}' is not allowed")
    assert "the modules next to the configuration" in message and project.mod in message
    assert "also tried" not in message  # the fallback reading was not allowed either: nothing was imported


def test_reexported_callable_is_rejected(project: Project) -> None:
    project.module("from os import system\nfrom subprocess import run as launch\n")
    issues = project.issues(task("$mod:system") + '[TASK.u]\nfunction = "$mod.launch:function"\n')
    system = one(issues, f"'{project.mod}:system' is defined in module 'posix', which is not allowed")
    assert system.location.section == "TASK.t"
    launch = one(issues, f"'{project.mod}:launch' is defined in module 'subprocess', which is not allowed")
    assert launch.location == Location(file=project.file(), section="TASK.u", key="function")


def test_reexport_is_rejected_even_when_the_module_is_listed(project: Project) -> None:
    project.module("from os import system\n")
    message = function_issue(
        project,
        f'[CORE]\nallowed_modules = ["{project.mod}"]\n' + task("$mod:system"),
        "defined in module 'posix'",
    )
    assert f"allowed_modules ({project.mod})" in message


def test_partials_are_judged_by_what_they_wrap(project: Project) -> None:
    project.module(
        "import functools, os\n\n"
        "def scale(x, factor):\n    return x * factor\n\n"
        "triple = functools.partial(scale, factor=3)\n"
        "shell = functools.partial(os.system, 'true')\n"
    )
    issues = project.issues(task("$mod:triple", '["a"]') + '[TASK.u]\nfunction = "$mod:shell"\n')
    one(issues, f"'{project.mod}:shell' is defined in module 'posix'")
    assert len(issues) == 1  # triple is fine


def test_allowed_modules_replace_the_default(project: Project) -> None:
    project.module()
    project.write(f"{project.mod}_lib/__init__.py", "")
    project.write(f"{project.mod}_lib/ops.py", "def inc(x):\n    return x + 1\n")
    project.write(f"{project.mod}_libx.py", "def inc(x):\n    return x + 1\n")
    text = (
        f'[CORE]\nallowed_modules = ["math", "{project.mod}_lib"]\n'
        + task("math:sqrt", '["a"]')
        + f'[TASK.u]\nfunction = "{project.mod}_lib.ops:inc"\ninputs = ["a"]\n'
    )
    registry = project.load(text)
    assert registry.core.allowed_modules == ("math", f"{project.mod}_lib")
    assert (
        registry.tasks["t"].function == "math:sqrt"
        and registry.tasks["u"].function == f"{project.mod}_lib.ops:inc"
    )

    # A local module not listed is no longer allowed, and a prefix only covers dotted submodules.
    issues = project.issues(
        text
        + '[TASK.v]\nfunction = "$mod:double"\ninputs = ["a"]\n'
        + f'[TASK.w]\nfunction = "{project.mod}_libx:inc"\ninputs = ["a"]\n'
    )
    assert one(issues, f"module '{project.mod}' is not allowed").location.section == "TASK.v"
    assert one(issues, f"module '{project.mod}_libx' is not allowed").location.section == "TASK.w"
    assert len(issues) == 2


def test_module_named_like_the_standard_library_is_rejected(project: Project) -> None:
    project.write("colorsys.py", "def run():\n    return 'mine'\n")
    project.write("json.py", "def run():\n    return 'mine'\n")
    issues = project.issues(task("colorsys:run") + '[TASK.u]\nfunction = "json:run"\n')
    assert "has the name of a standard-library module" in one(issues, "module 'colorsys'").message
    assert one(issues, "module 'json' in").location.section == "TASK.u"
    # Rejected before importing: the local file never replaced the standard module.
    for name in ("colorsys", "json"):
        loaded = sys.modules.get(name)
        assert loaded is None or not str(getattr(loaded, "__file__", "")).startswith(str(project.root))


def test_module_named_like_an_installed_one_is_rejected(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / f"{project.mod}").mkdir(parents=True)
    (site / f"{project.mod}" / "__init__.py").write_text("def double(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(site))
    message = function_issue(
        project, task("$mod:double", '["a"]'), "has the same name as the installed module"
    )
    assert str(site) in message and project.mod not in sys.modules


def test_module_shadowed_by_an_already_imported_one(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    impostor = types.ModuleType(project.mod)
    impostor.__file__ = "/usr/lib/somewhere/else.py"
    impostor.double = lambda x: x  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, project.mod, impostor)
    message = function_issue(
        project, task("$mod:double", '["a"]'), "is shadowed by the already imported module"
    )
    assert "/usr/lib/somewhere/else.py" in message
    assert sys.modules[project.mod] is impostor  # never replaced


# --- imports and attributes ------------------------------------------------------------------


def test_import_failures_are_reported_with_their_exception(project: Project) -> None:
    project.write("broken_import_a.py", "raise ValueError('no database configured')\n")
    project.write("broken_syntax_b.py", "def f(:\n")
    project.write("exits_c.py", "import sys\nsys.exit(3)\n")
    issues = project.issues(
        task("broken_import_a:f")
        + '[TASK.u]\nfunction = "broken_syntax_b:f"\n'
        + '[TASK.v]\nfunction = "exits_c:f"\n'
    )
    issue = one(issues, "cannot import module 'broken_import_a': ValueError: no database configured")
    assert issue.location.section == "TASK.t"
    assert one(issues, "cannot import module 'broken_syntax_b': SyntaxError").location.section == "TASK.u"
    assert one(issues, "cannot import module 'exits_c': SystemExit: 3").location.section == "TASK.v"
    assert "broken_import_a" not in sys.modules


def test_missing_attribute_and_not_callable(project: Project) -> None:
    project.module("VALUE = 3\n\ndef double(x):\n    return x\n")
    issues = project.issues(
        task("$mod:missing")
        + '[TASK.u]\nfunction = "$mod:VALUE"\n[TASK.v]\nfunction = "$mod.nothing:function"\n'
    )
    assert one(issues, f"module '{project.mod}' has no attribute 'missing'").location.section == "TASK.t"
    assert one(issues, f"'{project.mod}:VALUE' is not callable (it is a int)").location.section == "TASK.u"
    message = one(issues, f"module '{project.mod}' has no attribute 'nothing'").message
    assert f"also tried module '{project.mod}.nothing'" in message and "ModuleNotFoundError" in message


# --- signatures ------------------------------------------------------------------------------

SIGNATURES = """
def one(x):
    return x

def two(a, b):
    return a + b

def scale(x, factor=2):
    return x * factor

def anything(*args, **kwargs):
    return 1

def kw(x, *, factor):
    return x * factor

def positional_only(x, factor, /):
    return x
"""


@pytest.mark.parametrize(
    ("function", "inputs", "params", "key", "message"),
    [
        ("one", '["a", "b"]', "", "function", "with 2 input(s) as positional arguments: too many positional"),
        ("two", '["a"]', "", "function", "missing a required argument: 'b'"),
        ("one", "[]", "", "function", "cannot be called with 0 input(s) as positional arguments"),
        ("one", '["a"]', "rate = 1", "params.rate", "param 'rate' is not a keyword parameter of"),
        ("scale", '["a", "b"]', "factor = 3", "function", "multiple values for argument 'factor'"),
        (
            "positional_only",
            '["a"]',
            "factor = 3",
            "params.factor",
            "param 'factor' is not a keyword parameter",
        ),
        ("kw", '["a"]', "", "function", "missing a required argument: 'factor'"),
    ],
)
def test_signature_problems(
    project: Project, function: str, inputs: str, params: str, key: str, message: str
) -> None:
    project.module(SIGNATURES)
    text = task(f"$mod:{function}", inputs) + (f"[TASK.t.params]\n{params}\n" if params else "")
    issue = one(project.issues(text), message)
    assert issue.location == Location(file=project.file(), section="TASK.t", key=key)
    if key == "function":
        assert f"{project.mod}:{function}(" in issue.message


@pytest.mark.parametrize(
    ("function", "inputs", "params"),
    [
        ("one", '["a"]', ""),
        ("two", '["a", "b"]', ""),
        ("scale", '["a"]', 'factor = { type = "int" }'),
        ("scale", '["a", "b"]', ""),
        ("anything", '["a", "b", "c"]', "whatever = 1\nmore = { type = 'str' }"),
        ("kw", '["a"]', "factor = 2.5"),
    ],
)
def test_signatures_that_fit(project: Project, function: str, inputs: str, params: str) -> None:
    project.module(SIGNATURES)
    text = task(f"$mod:{function}", inputs) + (f"[TASK.t.params]\n{params}\n" if params else "")
    assert project.load(text).tasks["t"].function == f"{project.mod}:{function}"


def test_builtins_are_not_signature_checked(project: Project) -> None:
    text = '[CORE]\nallowed_modules = ["math"]\n' + task("math:sqrt", '["a", "b", "c"]')
    assert project.load(text).tasks["t"].function == "math:sqrt"


# --- module paths, resolve_function and same-named modules -----------------------------------


def test_ensure_module_paths_inserts_at_the_front_once(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    ensure_module_paths([a, b])
    ensure_module_paths([b, a])
    assert sys.path[:2] == [a, b]
    assert sys.path.count(a) == 1 and sys.path.count(b) == 1


def test_load_puts_the_config_directory_on_sys_path(project: Project) -> None:
    project.module("from helper_mod_x import value\n\ndef produce():\n    return value\n")
    project.write("helper_mod_x.py", "value = 7\n")
    registry = project.load(task("$mod:produce"))
    assert str(project.root) in sys.path
    assert resolve_function(registry.tasks["t"].function)() == 7


def test_resolve_function(project: Project) -> None:
    project.module()
    ensure_module_paths([str(project.root)])
    fn = resolve_function(f"{project.mod}:double")
    assert fn(4) == 8 and resolve_function(f"{project.mod}:double") is fn
    with pytest.raises(ValueError, match="malformed"):
        resolve_function(f"{project.mod}.double:")
    with pytest.raises(AttributeError):
        resolve_function(f"{project.mod}:missing")
    with pytest.raises(ImportError):
        resolve_function("no_such_module_here_xyz:f")


def test_same_module_name_in_two_config_directories(tmp_path: Path) -> None:
    """Loading dir B after dir A, both with a tasks.py, must use B's module (and A's again after)."""
    configs = {}
    for name, body in (("a", "return 'from a'"), ("b", "return 'from b'")):
        root = tmp_path / name
        root.mkdir()
        (root / "tasks.py").write_text(f"def produce():\n    {body}\n\ndef only_{name}():\n    return 1\n")
        (root / "config.toml").write_text(
            f'[TASK.t]\nfunction = "tasks:produce"\n[TASK.u]\nfunction = "tasks:only_{name}"\n'
        )
        configs[name] = root / "config.toml"

    assert resolve_function(load_registry(configs["a"]).tasks["t"].function)() == "from a"
    assert resolve_function(load_registry(configs["b"]).tasks["t"].function)() == "from b"
    assert Path(sys.modules["tasks"].__file__).parent == tmp_path / "b"
    assert resolve_function(load_registry(configs["a"]).tasks["t"].function)() == "from a"


def test_module_of_another_configuration_is_not_picked_up(tmp_path: Path) -> None:
    """With allowed_modules, a module found only in a previously loaded config directory is refused."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "shared_tasks_q.py").write_text("def produce():\n    return 1\n")
    (first / "c.toml").write_text('[TASK.t]\nfunction = "shared_tasks_q:produce"\n')
    load_registry(first / "c.toml")
    (second / "c.toml").write_text(
        '[CORE]\nallowed_modules = ["shared_tasks_q"]\n[TASK.t]\nfunction = "shared_tasks_q:produce"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_registry(second / "c.toml")
    assert "the directory of another configuration" in one(caught.value.issues, "shared_tasks_q").message
