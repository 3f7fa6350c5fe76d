"""Profile real ``torch.nn.Module`` models into rapgym DNN profiles (optional ``profile`` extra).

Importing this package does not import torch; its submodules do. Entry points:
:func:`rapgym.profiler.core.profile_module` and the CLI ``python -m rapgym.profiler``.
"""

__all__: list[str] = []
