"""Per-user decision candidates ``(cut, bits)`` read from the observation, and their dominance pruning.

A candidate of user ``i`` is a legal cut ``k`` with a bit width ``b``. At the cloud-only (``k = 0``) and
device-only (``k = K_i``) cuts the width is irrelevant, so only fp32 is kept there. Each candidate carries
the four costs RAP trades off (device s, cloud s on the whole cloud, uploaded bits, accuracy loss pp) and
whether it uploads at all. Candidates are stored padded as ``(N, C)`` arrays with a ``valid`` mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rapgym.errors import PolicyError
from rapgym.sim.cost import upload_table
from rapgym.sim.layout import COL_ACC_LOSS, COL_CLOUD_S, COL_DEVICE_S, COL_TX

__all__ = ["Candidates", "CandidateCache", "enumerate_candidates", "prune_dominated"]

_PRUNE_CHUNK = 1 << 20
"""Candidate pairs compared at once by :func:`prune_dominated` (bounds its memory)."""


@dataclass(frozen=True)
class Candidates:
    """``(N, C)`` candidate table (padded entries have ``valid == False``).

    Attributes:
        split: cut index. bits_idx: index into the scenario's bit widths.
        device_s: device latency, s. cloud_s: cloud latency on the whole cloud, s.
        tx_bits: uploaded bits including the header (0 for device-only), by :func:`rapgym.sim.cost.upload_bits`.
        acc_loss: accuracy loss, percentage points.
        uploads: the candidate sends work to the cloud. valid: a real, legal candidate.
    """

    split: np.ndarray
    bits_idx: np.ndarray
    device_s: np.ndarray
    cloud_s: np.ndarray
    tx_bits: np.ndarray
    acc_loss: np.ndarray
    uploads: np.ndarray
    valid: np.ndarray

    def take(self, choice: np.ndarray) -> Candidates:
        """The ``(N,)`` table of one chosen column per user."""
        rows = np.arange(choice.shape[0])
        return Candidates(*(getattr(self, f)[rows, choice] for f in self.__dataclass_fields__))

    def compress(self, keep: np.ndarray) -> Candidates:
        """Keep the entries where ``keep`` is true, packed to the left, with as few columns as needed."""
        order = np.argsort(~keep, axis=1, kind="stable")
        width = max(int(keep.sum(axis=1).max()), 1)
        cols = order[:, :width]
        rows = np.arange(keep.shape[0])[:, None]
        fields = {f: getattr(self, f)[rows, cols] for f in self.__dataclass_fields__}
        fields["valid"] = keep[rows, cols]
        return Candidates(**fields)


def enumerate_candidates(profile: np.ndarray, cut_mask: np.ndarray, bits: np.ndarray, header_bits: float) -> Candidates:
    """All legal ``(cut, bits)`` candidates of every user.

    Args:
        profile: ``(N, Kmax+1, 3 + nbits)`` observation profile (columns ``rapgym.sim.layout.COL_*``: device s,
            whole-cloud s, fp32 bytes, acc loss pp per width).
        cut_mask: ``(N, Kmax+1)`` 1 where the cut exists; the legal cuts of a user are ``0..K_i``.
        bits: ``(nbits,)`` bit widths (must contain 32).
        header_bits: bits added to every upload.

    Raises:
        PolicyError: a user has no legal cut, or the shapes disagree.
    """
    profile = np.asarray(profile, dtype=np.float64)
    mask = np.asarray(cut_mask) > 0
    n, k1 = mask.shape
    nb = bits.shape[0]
    if profile.shape != (n, k1, COL_ACC_LOSS + nb):
        raise PolicyError(f"observation 'profile' has shape {profile.shape}; expected {(n, k1, COL_ACC_LOSS + nb)} "
                          f"for cut_mask {mask.shape} and {nb} bit widths")
    empty = np.flatnonzero(~mask.any(axis=1))
    if empty.size:
        raise PolicyError(f"observation 'cut_mask': user(s) {empty.tolist()} have no legal cut (row all zero); a "
                          f"profile needs at least cloud-only and device-only cuts")
    k_dev = k1 - 1 - np.argmax(mask[:, ::-1], axis=1)  # (N,) the device-only cut: the last legal one
    cut = np.arange(k1)
    legal = cut[None, :] <= k_dev[:, None]
    j32 = int(np.flatnonzero(bits == 32)[0])
    tx_bits, uploads, quantized = upload_table(8.0 * profile[:, :, COL_TX], bits / 32.0, k_dev, float(header_bits))
    width_ok = quantized[:, :, None] | (np.arange(nb) == j32)[None, None, :]  # (N, K1, nb)
    valid = legal[:, :, None] & width_ok
    uploads = np.broadcast_to(uploads[:, :, None], valid.shape)
    cloud = np.where(uploads, profile[:, :, COL_CLOUD_S, None], 0.0)
    shape = (n, k1 * nb)
    return Candidates(
        split=np.broadcast_to(cut[None, :, None], valid.shape).reshape(shape).copy(),
        bits_idx=np.broadcast_to(np.arange(nb)[None, None, :], valid.shape).reshape(shape).copy(),
        device_s=np.broadcast_to(profile[:, :, COL_DEVICE_S, None], valid.shape).reshape(shape).copy(),
        cloud_s=cloud.reshape(shape), tx_bits=tx_bits.reshape(shape),
        acc_loss=np.where(valid, profile[:, :, COL_ACC_LOSS:], 0.0).reshape(shape),
        uploads=uploads.reshape(shape).copy(), valid=valid.reshape(shape))


def prune_dominated(cands: Candidates) -> Candidates:
    """Drop candidates dominated in (device s, cloud s, uploaded bits, accuracy loss, uploads).

    ``c`` is dominated when another valid candidate of the same user is ``<=`` in all five and ``<`` in one;
    of exact duplicates the first is kept. Every objective non-decreasing in these five (RAP's, a latency,
    the env's cost through the pipeline) has a minimiser among the survivors.
    """
    feats = np.stack([cands.device_s, cands.cloud_s, cands.tx_bits, cands.acc_loss, cands.uploads.astype(np.float64)], axis=-1)
    c = feats.shape[1]
    earlier = (np.arange(c)[None, :] < np.arange(c)[:, None])[None]  # [c, d]: d comes before c
    keep = cands.valid.copy()
    step = max(1, _PRUNE_CHUNK // (c * c))
    for lo in range(0, feats.shape[0], step):  # chunks of users bound the (users, C, C, 5) temporary
        f = feats[lo:lo + step]
        a, b = f[:, :, None, :], f[:, None, :, :]  # candidate c, challenger d
        le = (b <= a).all(axis=-1)
        lt = (b < a).any(axis=-1)
        beaten = (le & (lt | earlier)) & cands.valid[lo:lo + step, None, :]
        keep[lo:lo + step] &= ~beaten.any(axis=2)
    return cands.compress(keep)


class CandidateCache:
    """Pruned candidates of the last profile seen; recomputed only when the observed profile changes."""

    def __init__(self, bits: np.ndarray, header_bits: float, prune: bool = True) -> None:
        self.bits = bits
        self.header_bits = header_bits
        self.prune = prune
        self._profile: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._cands: Candidates | None = None

    def get(self, profile: np.ndarray, cut_mask: np.ndarray) -> Candidates:
        """Candidates for this observation's profile (pruned unless ``prune=False``)."""
        same = (self._profile is not None and self._mask is not None
                and ((profile is self._profile and not profile.flags.writeable)
                     or (np.array_equal(profile, self._profile) and np.array_equal(cut_mask, self._mask))))
        if not same or self._cands is None:
            cands = enumerate_candidates(profile, cut_mask, self.bits, self.header_bits)
            self._cands = prune_dominated(cands) if self.prune else cands.compress(cands.valid)
            self._profile = profile if not profile.flags.writeable else np.array(profile)
            self._mask = np.array(cut_mask)
        return self._cands
