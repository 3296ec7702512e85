"""Random draws shared by the simulation's parts (the order of draws is what makes a seed's world)."""

from __future__ import annotations

import math
import random


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def office_secs(rng: random.Random) -> int:
    """The time of day a record is saved, in seconds (08:00–19:00)."""
    return rng.randint(8 * 3600, 19 * 3600)
