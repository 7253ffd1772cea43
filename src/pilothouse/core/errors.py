"""One error type for every app; each app renders it in its own documented shape.

    ApiError                 status, code, message, details, headers
    ├── BadRequest           400 bad_request
    ├── Unauthorized         401 unauthorized        (WWW-Authenticate)
    ├── Forbidden            403 forbidden
    ├── NotFound             404 not_found
    ├── MethodNotAllowed     405 method_not_allowed
    ├── Conflict             409 conflict
    ├── ValidationFailed     422 validation_failed   (details: {field: [message, ...]})
    ├── RateLimited          429 rate_limited        (Retry-After)
    ├── ServerError          500 server_error
    └── ServiceUnavailable   503 unavailable

Routes raise; they never build error JSON. `install_error_handlers` routes validation failures,
unknown paths, wrong methods and unhandled exceptions through the same renderer, so no framework
default body and no stack trace ever reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from pilothouse.core.json import JSONResponse

__all__ = [
    "ApiError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "Conflict",
    "ValidationFailed",
    "RateLimited",
    "ServerError",
    "ServiceUnavailable",
    "ErrorRenderer",
    "field_errors",
    "install_error_handlers",
]

logger = logging.getLogger("pilothouse.errors")


class ApiError(Exception):
    status = 500
    code = "server_error"
    default_message = "Server Error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = dict(headers or {})
        if code:
            self.code = code
        super().__init__(self.message)


class BadRequest(ApiError):
    status, code, default_message = 400, "bad_request", "Bad Request"


class Unauthorized(ApiError):
    status, code, default_message = 401, "unauthorized", "Unauthenticated."


class Forbidden(ApiError):
    status, code, default_message = 403, "forbidden", "This action is unauthorized."


class NotFound(ApiError):
    status, code, default_message = 404, "not_found", "Not Found"


class MethodNotAllowed(ApiError):
    status, code, default_message = 405, "method_not_allowed", "Method Not Allowed"


class Conflict(ApiError):
    status, code, default_message = 409, "conflict", "Conflict"


class ValidationFailed(ApiError):
    status, code, default_message = 422, "validation_failed", "The given data was invalid."

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None) -> None:
        super().__init__(message, details={k: list(v) for k, v in errors.items()})


class RateLimited(ApiError):
    status, code, default_message = 429, "rate_limited", "Too Many Attempts."


class ServerError(ApiError):
    status, code, default_message = 500, "server_error", "Server Error"


class ServiceUnavailable(ApiError):
    status, code, default_message = 503, "unavailable", "Service Unavailable"


ErrorRenderer = Callable[[ApiError], Any]
"""Turns an error into the JSON body of the app's documented error shape."""

_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    429: RateLimited,
    503: ServiceUnavailable,
}

_MESSAGES = {
    "missing": "The {f} field is required.",
    "string_type": "The {f} must be a string.",
    "int_type": "The {f} must be an integer.",
    "int_parsing": "The {f} must be an integer.",
    "int_from_float": "The {f} must be an integer.",
    "bool_type": "The {f} field must be true or false.",
    "bool_parsing": "The {f} field must be true or false.",
    "float_type": "The {f} must be a number.",
    "float_parsing": "The {f} must be a number.",
    "list_type": "The {f} must be an array.",
    "dict_type": "The {f} must be an object.",
    "model_type": "The {f} must be an object.",
    "url_parsing": "The {f} must be a valid URL.",
    "url_scheme": "The {f} must be a valid URL.",
    "url_type": "The {f} must be a valid URL.",
    "string_too_long": "The {f} may not be greater than {max_length} characters.",
    "string_too_short": "The {f} must be at least {min_length} characters.",
    "greater_than_equal": "The {f} must be at least {ge}.",
    "less_than_equal": "The {f} may not be greater than {le}.",
    "datetime_parsing": "The {f} is not a valid date.",
    "datetime_from_date_parsing": "The {f} is not a valid date.",
    "date_parsing": "The {f} is not a valid date.",
    "enum": "The selected {f} is invalid.",
    "literal_error": "The selected {f} is invalid.",
    "extra_forbidden": "The {f} field is not allowed.",
    "json_invalid": "The request body is not valid JSON.",
}


def field_errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Pydantic errors as {field: [readable message, ...]}, fields named as the client sent them."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        # Only the first part says where the value came from; later parts are field names
        # (a field may well be called "path"). A JSON syntax error's position is no field.
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        if error.get("type") == "json_invalid":
            loc = []
        field = ".".join(loc) or "body"
        template = _MESSAGES.get(error.get("type", ""))
        ctx = {
            k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, (int, float, str))
        }
        human = field.replace("_", " ")
        try:
            message = template.format(f=human, **ctx) if template else None
        except (KeyError, IndexError):
            message = None
        if message is None:
            message = f"The {human} is invalid: {error.get('msg', 'invalid value')}."
        out.setdefault(field, [])
        if message not in out[field]:
            out[field].append(message)
    return out


def install_error_handlers(app: FastAPI, render: ErrorRenderer) -> None:
    """Send every error an app can raise through its renderer."""

    def respond(error: ApiError) -> Response:
        return JSONResponse(render(error), status_code=error.status, headers=error.headers)

    async def on_api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return respond(exc)

    async def on_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return respond(ValidationFailed(field_errors(exc.errors())))

    async def on_http(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        kind = _STATUS_ERRORS.get(exc.status_code, ApiError)
        error = kind(headers=exc.headers)
        if kind is ApiError:
            error.status = exc.status_code
            error.message = str(exc.detail)
        return respond(error)

    async def on_crash(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(ServerError())

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
