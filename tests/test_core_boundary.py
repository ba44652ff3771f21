"""Core modules (flow compiler and runtime, NLU, audio and the call pipeline) never import Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Django-side modules and packages of an app; every other module or package in flows/, nlu/, voice/ and calls/ is core.
DJANGO_SIDE = {"models", "views", "services", "calllog", "analytics", "tasks", "consumers", "routing", "forms", "urls",
               "customer_urls",
               "engines", "signals", "bundles",
               "apps", "admin", "migrations", "management", "templatetags", "__init__"}


def core_modules() -> list[str]:
    found = []
    for app in ("flows", "nlu", "voice", "calls"):
        for path in sorted((ROOT / app).iterdir()):
            name = path.stem if path.suffix == ".py" else path.name
            is_package = path.is_dir() and (path / "__init__.py").exists()
            if (path.suffix == ".py" or is_package) and name not in DJANGO_SIDE:
                found.append(f"{app}.{name}")
                if is_package:
                    found += [f"{app}.{name}.{module.stem}" for module in sorted(path.glob("*.py"))
                              if module.stem != "__init__"]
    return found


def test_core_modules_exist():
    assert core_modules(), "no core module found"


def test_core_modules_do_not_import_django():
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(leaked))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "", f"core modules imported {result.stdout.strip()}"
