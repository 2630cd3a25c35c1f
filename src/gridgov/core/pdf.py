"""A4 PDFs of our pages (public boards, case slips) through WeasyPrint: Noto CJK embedded, and
every image read from our own static and media files on disk, never fetched over a network."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.template.loader import render_to_string


def local_path(path: str) -> Path | None:
    """The file on disk behind one of our static or media URL paths, or None."""
    if path.startswith(settings.STATIC_URL):
        found = finders.find(path[len(settings.STATIC_URL) :])
        return Path(found) if isinstance(found, str) else None
    if path.startswith(settings.MEDIA_URL):
        root = Path(settings.MEDIA_ROOT).resolve()
        candidate = (root / path[len(settings.MEDIA_URL) :]).resolve()
        if root in candidate.parents and candidate.is_file():
            return candidate
    return None


def local_files_fetcher(base_url: str) -> Any:
    """A WeasyPrint URL fetcher that reads our static and media files from disk and fetches
    nothing over the network (no request back to this server, no outside URL)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    base = urlsplit(base_url)

    class LocalFilesOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
                raise ValueError(f"not a local resource: {url}")
            path = local_path(unquote(parts.path))
            if path is None:
                raise ValueError(f"not found: {url}")
            content_type = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return LocalFilesOnly()


def render_pdf(request: HttpRequest, template: str, context: dict[str, Any]) -> bytes:
    """Render `template` and print it; WeasyPrint embeds the subset of Noto CJK the text uses."""
    from weasyprint import HTML

    html = render_to_string(template, context, request=request)
    base_url = request.build_absolute_uri("/")
    return HTML(  # type: ignore[no-any-return]
        string=html, base_url=base_url, url_fetcher=local_files_fetcher(base_url)
    ).write_pdf()
