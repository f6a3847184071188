"""``civic demo``: seed a synthetic city so the platform can be tried end to end."""

from __future__ import annotations

import time

import click

from civicdata.cli.base import CivicContext, civic_error, pass_civic


@click.command()
@click.option("--citizens", default=10_000, show_default=True, type=click.IntRange(1, 10_000_000))
@click.option("--seed", default=2026, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--if-empty", is_flag=True, help="Do nothing (and say so) if citizens exist.")
@click.option(
    "--i-know-this-is-not-production",
    "not_production",
    is_flag=True,
    help="Seed outside CIVIC_ENV=development (only a database without real accounts).",
)
@pass_civic
def demo(
    civic: CivicContext, citizens: int, seed: int, if_empty: bool, not_production: bool
) -> None:
    """Seed the demo city: CITIZENS residents with encrypted records in every dataset.

    The same seed gives the same city (pseudonyms and keys stay random). Only
    an empty database is seeded. Development only: the demo sign-ins are
    public, so anywhere else it refuses unless told explicitly, and then only
    on a database without real accounts and with random demo passwords.
    """
    from civicdata.demo import DemoCatalogError, DemoError, citizen_count, seed_demo_city
    from civicdata.identity.demo import seed_demo_identity

    _refuse_outside_development(civic, not_production)
    platform = civic.platform
    with platform.sessions() as session:
        existing = citizen_count(session)
    if existing and if_empty:
        click.echo(f"the database already holds {existing} citizen(s); demo city not seeded")
        return
    started = time.perf_counter()
    try:
        with click.progressbar(length=citizens, label="seeding the demo city") as bar:
            city = seed_demo_city(platform, citizens=citizens, seed=seed, progress=bar.update)
    except (DemoError, DemoCatalogError) as exc:
        raise civic_error(str(exc)) from None
    with platform.sessions() as session:
        credentials = seed_demo_identity(platform, session, city.citizen_ids)
        session.commit()
    elapsed = time.perf_counter() - started
    click.echo(f"seeded {len(city.citizen_ids)} citizens (seed {seed}) in {elapsed:.1f} s:")
    for dataset, count in city.records.items():
        click.echo(f"  {dataset}: {count} records")
    click.echo(f"demo accounts and OAuth clients (development only): {credentials.path}")


def _refuse_outside_development(civic: CivicContext, not_production: bool) -> None:
    """Demo sign-ins belong in development; elsewhere only on request, never on real accounts."""
    from civicdata.identity.demo import real_accounts

    env = civic.config.env
    if env == "development":
        return
    if not not_production:
        raise civic_error(
            f"civic demo creates demo sign-ins and runs only with CIVIC_ENV=development "
            f"(this is {env}); on a database that is not a production one, add "
            "--i-know-this-is-not-production"
        )
    with civic.platform.sessions() as session:
        real = real_accounts(session, civic.platform)
    if real:
        raise civic_error(
            f"this database holds {real} account(s) that are not demo ones: it is a "
            "production database, and civic demo never seeds one"
        )
