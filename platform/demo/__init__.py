"""The demo city: synthetic residents and their records, stored like real ones."""

from civicdata.demo.population import DemoCatalogError
from civicdata.demo.seeding import DemoCity, DemoError, citizen_count, seed_demo_city

__all__ = ["DemoCatalogError", "DemoCity", "DemoError", "citizen_count", "seed_demo_city"]
