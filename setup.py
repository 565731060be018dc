"""The package's one C extension, the tokenizer's compiled narrow path (everything else is in
pyproject.toml). It is optional: without a C compiler the package installs, and the tokenizer
runs its numpy code."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("reuse.text.compiled_narrow", ["reuse/text/compiled_narrow.c"],
                             optional=True)])
