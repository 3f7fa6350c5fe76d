"""A real split-inference runtime over a shaped link, to measure the simulator against (``benchmarks/fidelity.md``).

- :mod:`~rapgym.runtime.testbed`: network namespaces, veth pairs and ``tbf`` shapers (needs root).
- :mod:`~rapgym.runtime.wire`: the TCP framing and the quantized-tensor payload.
- :mod:`~rapgym.runtime.workload`: a torch model split at its cuts, and its profile on this host.
- :mod:`~rapgym.runtime.scheduler`: the cloud's reservation scheduler enforcing compute shares.
- :mod:`~rapgym.runtime.device`, :mod:`~rapgym.runtime.cloud`: the device and cloud processes.
- :mod:`~rapgym.runtime.monitor`: observations built from the runtime's own measurements.
- :mod:`~rapgym.runtime.driver`: one run (testbed, processes, trace replay, a policy deciding each slot).
- :mod:`~rapgym.runtime.replay`, :mod:`~rapgym.runtime.compare`: the same run in the simulator, and the errors.

Needs torch (the ``runtime`` extra); the testbed needs root, ``ip`` and ``tc``.
"""

from importlib.util import find_spec

from rapgym.errors import MissingDependencyError

if find_spec("torch") is None:
    raise MissingDependencyError('the runtime needs the runtime extra (torch is missing): pip install "rapgym[runtime]"')
