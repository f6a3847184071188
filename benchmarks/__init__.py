"""Performance benchmarks, run with ``make bench`` (``python -m benchmarks``).

Not part of the test suite: nothing here asserts a time. Each benchmark module
exposes ``run(instance) -> list[Measurement]`` and is registered in
:mod:`benchmarks.__main__`; every run builds its own demo city in a temporary
instance, so baselines are measured on the same data in the same run.
"""
