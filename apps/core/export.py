"""Downloads of tables as CSV or JSON, streamed, and the API side of them.

A table is a header (the field names) and rows (dicts), produced by the same serializer
the JSON API answers with, so a CSV read back, or a JSON file, equals the API's items:
times as the API writes them (ISO 8601 UTC), money as its decimal strings, floats as
their shortest exact text. CSV cells: ``None`` is empty, booleans ``true``/``false``,
lists and objects compact JSON, everything else ``str``.

The rows come from an iterator and are written a batch at a time into a
``StreamingHttpResponse``: a run with hundreds of thousands of trades never sits in
memory as text. Every download names itself (``Content-Disposition: attachment``).

API views take ``?format=csv|json`` or ``Accept: text/csv`` (ExportMixin); any other
``format`` is a 400 naming it, and an error is always answered in JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django import forms
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from rest_framework import renderers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder

from apps.core.api.serializers import query_value_error
from apps.core.forms import query_clean

CSV = "csv"
JSON = "json"
FORMATS = (CSV, JSON)
CONTENT_TYPES = {CSV: "text/csv; charset=utf-8", JSON: "application/json"}
FORMAT_PARAM = "format"
BATCH = 2000


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, cls=JSONEncoder, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def sliced(seq: Sequence, size: int = BATCH) -> Iterator[Sequence]:
    """A sequence a slice at a time (a TradeTable decodes only the slice asked for)."""
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def csv_chunks(header: Sequence[str], rows: Iterable[dict]) -> Iterator[str]:
    """The CSV text, a batch of rows per chunk; a row's missing field is an empty cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for chunk in batches(rows):
        writer.writerows([csv_cell(row.get(name)) for name in header] for row in chunk)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()


def json_text(data: Any) -> str:
    """JSON exactly as the API's JSONRenderer writes it (its encoder, no NaN)."""
    return json.dumps(
        data,
        cls=JSONEncoder,
        ensure_ascii=not api_settings.UNICODE_JSON,
        allow_nan=not api_settings.STRICT_JSON,
        separators=(",", ":") if api_settings.COMPACT_JSON else (", ", ": "),
    )


def json_array_chunks(rows: Iterable[dict]) -> Iterator[str]:
    yield "["
    first = True
    for chunk in batches(rows):
        text = ",".join(json_text(row) for row in chunk)
        yield text if first else "," + text
        first = False
    yield "]"


def download(
    *,
    fmt: str,
    filename: str,
    rows: Iterable[dict] | None = None,
    header: Sequence[str] = (),
    document: Any = None,
) -> StreamingHttpResponse:
    """A streamed download ``<filename>.<fmt>``: the ``rows`` as CSV (columns ``header``) or
    as a JSON array; or, for JSON, one ``document`` (an object) instead of rows."""
    if fmt == CSV:
        chunks = csv_chunks(header, rows or ())
    elif document is not None:
        chunks = iter([json_text(document)])
    else:
        chunks = json_array_chunks(rows or ())
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    return response


def serialized(serializer_class, chunks: Iterable[Iterable], **kwargs) -> Iterator[dict]:
    """Each item of each chunk as ``serializer_class`` represents it (one serializer call
    per chunk)."""
    for chunk in chunks:
        yield from serializer_class(chunk, many=True, **kwargs).data


def format_error(value: str | None) -> str | None:
    if value is not None and value not in FORMATS:
        return f"must be one of {', '.join(FORMATS)}"
    return None


class ExportQueryForm(forms.Form):
    """A page download's `?format=` (csv when absent); another value is a 400 page."""

    format = forms.ChoiceField(choices=[(f, f) for f in FORMATS], required=False)


def page_query(query, form_class: type[forms.Form] = ExportQueryForm) -> dict[str, Any]:
    """A download page's cleaned query (format csv by default), or a 400 naming the field."""
    data = query_clean(form_class, query)
    return {**data, "format": data["format"] or CSV}


def export_links(*parts: tuple[str, Callable[[str], str]]) -> list[dict]:
    """What templates/core/_export.html lists: each part's label and its URL per format
    (``url(fmt)``, e.g. ``/backtests/3/export/?part=trades&format=csv``)."""
    return [
        {"label": label, "links": [(f.upper(), url(f)) for f in FORMATS]} for label, url in parts
    ]


class CSVRenderer(renderers.BaseRenderer):
    """Makes ``Accept: text/csv`` and ``?format=csv`` negotiable. ExportMixin views answer
    them with a streamed download before any Response is rendered, and answer errors and
    other methods as JSON, so this renderer never writes a body itself."""

    media_type = "text/csv"
    format = CSV
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b""


class ExportMixin:
    """An API view whose GET also answers as CSV (``Accept: text/csv`` or ``?format=csv``);
    ``?format=json`` is the JSON answer. ``format`` is one of the view's query parameters
    (``extra_query_params``); another value is a 400 naming it, and an error, or the
    answer to another method, is JSON."""

    extra_query_params = (FORMAT_PARAM,)
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]

    def perform_content_negotiation(self, request, force=False):
        if not force:
            value = request.query_params.get(FORMAT_PARAM)
            error = query_value_error(request.query_params, FORMAT_PARAM) or format_error(value)
            if error:
                raise ValidationError({FORMAT_PARAM: [error] if isinstance(error, str) else error})
        return super().perform_content_negotiation(request, force)

    def export_format(self, request) -> str:
        return CSV if request.accepted_renderer.format == CSV else JSON

    def finalize_response(self, request, response, *args, **kwargs):
        # Only a GET answers as CSV (its handler streams the download); an error, or what
        # another method answers, is JSON whatever was asked for.
        if isinstance(response, Response) and (
            response.status_code >= 400 or request.method not in ("GET", "HEAD")
        ):
            renderer = renderers.JSONRenderer()
            request.accepted_renderer, request.accepted_media_type = renderer, renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
