"""environment.yml and pyproject.toml must describe the same environment."""

import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
EXTRAS_IN_ENVIRONMENT = ("tensorflow", "notebooks", "dev")


def _requirements(lines):
    return {Requirement(line).name.lower(): str(Requirement(line).specifier) for line in lines}


def _pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in EXTRAS_IN_ENVIRONMENT:
        lines += project["optional-dependencies"][extra]
    return _requirements(lines), project["requires-python"]


def _conda_environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    return _requirements(pip_section), pythons


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject():
    pyproject, _ = _pyproject_requirements()
    conda, _ = _conda_environment()
    assert sorted(conda) == sorted(pyproject), "package names differ"
    different = {n: (pyproject[n], conda[n]) for n in pyproject if pyproject[n] != conda[n]}
    assert not different, f"version specifiers differ (pyproject, environment.yml): {different}"


def test_environment_python_is_allowed_by_pyproject():
    _, requires_python = _pyproject_requirements()
    _, pythons = _conda_environment()
    assert pythons == ["python=3.11"]
    from packaging.specifiers import SpecifierSet

    assert "3.11" in SpecifierSet(requires_python)
    assert "3.12" in SpecifierSet(requires_python), "the GPU machine runs Python 3.12"


@pytest.mark.parametrize("extra", EXTRAS_IN_ENVIRONMENT)
def test_every_extra_is_named_in_pyproject(extra):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"][extra]
