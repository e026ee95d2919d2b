"""Compile the translation catalogues whenever the package is built or installed."""
import importlib.util
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogsHook(BuildHookInterface):
    def initialize(self, version, build_data):
        path = Path(self.root) / "kokoma" / "catalogs.py"
        spec = importlib.util.spec_from_file_location("kokoma_catalogs", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.compile_catalogs(Path(self.root) / "kokoma" / "translations")
        build_data.setdefault("artifacts", []).append("kokoma/translations/**/*.mo")
