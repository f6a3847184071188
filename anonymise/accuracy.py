"""95 % confidence half-widths for released numbers, from noise scales alone.

Counts and sums use OpenDP's accuracy utilities for the distribution the noise
came from: with probability 1 - alpha the noise is below the half-width. These
intervals cover the *bounded* statistic (after truncation and clamping); what
bounding may have cut is reported separately.

A mean is released as noisy sum / noisy count. Its interval is the set of
ratios S/N with S and N in their own intervals, each taken at level alpha/2, so
by the union bound it covers the bounded mean with probability >= 1 - alpha;
it is also intersected with the field's bounds. A quantile comes from OpenDP's
exponential mechanism: a candidate whose score is g worse than the best is chosen
with probability at most exp(-g / scale), so with probability >= 1 - alpha the
released candidate's rank is within ``scale * ln(C / alpha) / den`` records of
the best candidate's (C candidates, ``den`` the score's units per rank).

>>> round(half_width("discrete_laplace", 1.0), 4)
3.3756
>>> [round(x, 2) for x in mean_interval(1000.0, 30.0, 100.0, 5.0, 0.0, 120.0)]
[10.0, 9.24, 10.84]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import opendp.prelude as dp

ALPHA = 0.05

_TO_ACCURACY: dict[str, Callable[[float, float], float]] = {
    "discrete_laplace": dp.discrete_laplacian_scale_to_accuracy,
    "laplace": dp.laplacian_scale_to_accuracy,
    "discrete_gaussian": dp.discrete_gaussian_scale_to_accuracy,
    "gaussian": dp.gaussian_scale_to_accuracy,
}
_TO_SCALE: dict[str, Callable[[float, float], float]] = {
    "discrete_laplace": dp.accuracy_to_discrete_laplacian_scale,
    "laplace": dp.accuracy_to_laplacian_scale,
    "discrete_gaussian": dp.accuracy_to_discrete_gaussian_scale,
    "gaussian": dp.accuracy_to_gaussian_scale,
}
NOISE_DISTRIBUTIONS = tuple(_TO_ACCURACY)


def half_width(distribution: str, scale: float, alpha: float = ALPHA) -> float:
    """Noise magnitude not exceeded with probability ``1 - alpha`` (OpenDP's utility)."""
    if scale == 0:
        return 0.0
    return float(_TO_ACCURACY[distribution](float(scale), float(alpha)))


def scale_for_half_width(distribution: str, target: float, alpha: float = ALPHA) -> float:
    """The largest noise scale whose half-width is ``target`` (inverse of the above)."""
    return float(_TO_SCALE[distribution](float(target), float(alpha)))


def mean_interval(
    noisy_sum: float,
    sum_half_width: float,
    noisy_count: float,
    count_half_width: float,
    low: float,
    high: float,
) -> tuple[float, float, float]:
    """(estimate, lower, upper) for a mean, from sum and count half-widths at alpha/2.

    When the count's interval reaches zero nothing better than the field's bounds
    can be said, and the estimate is the bounds' midpoint.
    """
    count_low = noisy_count - count_half_width
    if noisy_count <= 0 or count_low <= 0:
        return (low + high) / 2, low, high
    ratios = [
        s / n
        for s in (noisy_sum - sum_half_width, noisy_sum + sum_half_width)
        for n in (count_low, noisy_count + count_half_width)
    ]
    estimate = min(max(noisy_sum / noisy_count, low), high)
    return estimate, max(min(ratios), low), min(max(ratios), high)


def planned_mean_half_width(
    sum_half_width: float, count_half_width: float, records: int, low: float, high: float
) -> float:
    """Expected half-width of :func:`mean_interval` for a group of ``records``.

    At noise-free values (sum m * n, count n) the interval's wider side is at most
    ``(sum_hw + |m| * count_hw) / (n - count_hw)`` for any mean m in the bounds;
    half the field's range caps it.
    """
    magnitude = max(abs(low), abs(high))
    if records <= count_half_width:
        return (high - low) / 2
    return min(
        (sum_half_width + magnitude * count_half_width) / (records - count_half_width),
        (high - low) / 2,
    )


def quantile_rank_error(
    scale: float, candidates: int, denominator: int, alpha: float = ALPHA
) -> float:
    """Records of rank by which a released quantile may miss the best candidate."""
    return scale * math.log(candidates / alpha) / denominator
