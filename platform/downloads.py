"""File downloads that the API and the portal both serve, built in one place.

Web views must not import API modules (the import-graph test forbids it), so
a response both layers answer with lives here, below both.
"""

from __future__ import annotations

from flask import Response

from civicdata.releases.csv_export import release_csv
from civicdata.releases.store import Published


def release_csv_download(published: Published) -> Response:
    """A release's cells as a CSV attachment named after the release."""
    response = Response(release_csv(published.document), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{published.id}.csv"'
    return response
