"""Train a Stable-Baselines3 agent on a rapgym scenario (thin wrapper over :mod:`rapgym.cli.train`).

    python train.py --algo hybrid --scenario default --timesteps 20000 --seed 0
"""

from rapgym.cli.train import main

if __name__ == "__main__":
    raise SystemExit(main())
