"""The API's JSON parser: DRF's, with the limits of apps.core.jsonsafe and a size cap.

A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 naming the limit (read no further than
the limit, whatever Content-Length claims); bad syntax, NaN/Infinity, integers beyond
+/- 2**53, floats beyond a double and nesting deeper than JSON_MAX_DEPTH are a 400 naming
the problem and where it is. Before this, the last two were a 500.
"""

from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

from apps.core.exceptions import RequestTooLarge, body_limit_message
from apps.core.jsonsafe import JSONLimitError, json_loads


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(body_limit_message())
        try:
            text = codecs.decode(raw, encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"JSON parse error - the body is not {encoding}: {exc.reason}"
            ) from None
        try:
            # NUL characters are the fields' business: a text field refuses one naming
            # itself, a strategy's JSON names the place (apps.core.jsonsafe).
            return json_loads(text, nul=False)
        except JSONLimitError as exc:
            where = f" at {exc.path}" if exc.path else ""
            raise ParseError(f"JSON refused - {exc.message}{where}") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
