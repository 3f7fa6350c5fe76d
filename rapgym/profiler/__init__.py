"""Profile real ``torch.nn.Module`` models into rapgym DNN profiles (optional ``profile`` extra).

Importing this package checks that the ``profile`` extra (torch, tqdm) is installed and raises
:class:`~rapgym.errors.MissingDependencyError` naming it otherwise; its submodules import torch. Entry points:
:func:`rapgym.profiler.core.profile_module` and the CLI ``python -m rapgym.profiler``.
"""

from importlib.util import find_spec

from rapgym.errors import MissingDependencyError

__all__: list[str] = []

for _module in ("torch", "tqdm"):
    if find_spec(_module) is None:
        raise MissingDependencyError(f'the profiler needs the profile extra ({_module} is missing): pip install "rapgym[profile]"')
