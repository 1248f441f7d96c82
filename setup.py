"""Packaging hook: the wheel carries the top-level templates/ as generator/_templates and the spec's
JSON Schema as generator/_data/gen.schema.json (everything else is in pyproject.toml)."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = {"templates": "generator/_templates", "spec/gen.schema.json": "generator/_data/gen.schema.json"}


class BuildWithTemplates(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads templates/ in the checkout
        for source, target in DATA.items():
            src, dst = HERE / source, Path(self.build_lib) / target
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)


setup(cmdclass={"build_py": BuildWithTemplates})
