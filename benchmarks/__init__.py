"""functrace's benchmark suite: ``python -m benchmarks --help``.

Every workload is solved by hand-written NumPy (the baseline), by functrace (eager and
``ft.jit``) and, when they are installed, by JAX, autograd and PyTorch; results are checked
against the baseline before anything is timed. See ``benchmarks/README.md``.
"""
