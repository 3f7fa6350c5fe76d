"""Evaluate reference policies and saved agents (thin wrapper over :mod:`rapgym.cli.evaluate`).

    python evaluate.py --scenario default --policies rap jm-mpra neurosurgeon --seeds 0 1 2 --out results/
    python evaluate.py --agents runs/x/best_model.zip --policies jm-mpra rap --scenarios default unstable-lte --plots --out results/
"""

from rapgym.cli.evaluate import main

if __name__ == "__main__":
    raise SystemExit(main())
