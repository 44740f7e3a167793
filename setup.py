"""Build the Cython extensions of fastpath/.

Every ``fastpath/*.pyx`` is compiled. Setting ``FASTPATH_NO_EXTENSIONS=1`` at build time skips them, and the
pure-Python twins are used instead (see fastpath/__init__.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import Extension, setup


def _extensions() -> list[Extension]:
    if os.environ.get("FASTPATH_NO_EXTENSIONS") == "1":
        return []
    from Cython.Build import cythonize

    sources = sorted(Path("fastpath").glob("*.pyx"))
    modules = [Extension(f"fastpath.{src.stem}", [str(src)], extra_compile_args=["-O3"]) for src in sources]
    return list(
        cythonize(
            modules,
            language_level=3,
            compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
        )
    )


setup(ext_modules=_extensions())
