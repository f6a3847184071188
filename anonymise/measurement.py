"""OpenDP measurements on a component's exact totals, checked against their budget.

Every release builds *fresh* measurements (never a long-lived ``Context``,
whose budget lives only in memory). A component's measurement is OpenDP's
noise on the vector of its totals (``make_laplace`` / ``make_gaussian``, or
``make_noisy_max`` per group for a quantile), built by its measure kind
(:meth:`~anonymise.measures.base.MeasureKind.measurement`). Its privacy loss
is OpenDP's privacy map at the sensitivity that bounding guarantees
(:meth:`~anonymise.measures.base.MeasureKind.loss`), and the losses of a
query's components add up (sequential composition), in epsilon under pure DP
or in rho under zCDP. No data is involved: measurements are built and checked
before any record is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anonymise.measures.base import Component

RECALIBRATIONS = 4


class PrivacyCheckFailed(RuntimeError):
    """OpenDP's privacy map exceeds the budget: the release must not run."""


@dataclass(frozen=True, slots=True)
class Built:
    """A component's OpenDP measurement, its scale and its loss (OpenDP's map)."""

    measurement: Any
    scale: float
    loss: float


def build(component: Component, mechanism: str, parameter: float) -> Built:
    """The measurement of ``component`` at its closed-form scale, within ``parameter``.

    ``parameter`` is the epsilon (pure DP) or rho (zCDP) it may use. Should
    OpenDP's map exceed it (float rounding of the closed form), the scale is
    raised by the observed ratio and checked again.
    """
    kind = component.aggregation
    scale = component.scale(parameter, mechanism)
    for _ in range(RECALIBRATIONS):
        measurement = kind.measurement(component, scale, mechanism)
        loss = kind.loss(component, measurement, mechanism)
        if loss <= parameter:
            return Built(measurement, scale, loss)
        ratio = loss / parameter
        scale *= (ratio if mechanism == "laplace" else ratio**0.5) * (1 + 1e-12)
    raise PrivacyCheckFailed("could not bring the measurement within its budget")


def composed_loss(losses: Sequence[float]) -> float:
    """The loss of running every measurement once: their sum (sequential composition)."""
    return float(sum(losses))
