"""Pydantic errors become Laravel-like {field: [message]} keyed by the client's field names."""

from __future__ import annotations

from pilothouse.core.errors import field_errors


class TestFieldErrors:
    def test_a_field_named_like_a_location_keeps_its_name(self) -> None:
        errors = [{"type": "missing", "loc": ("body", "monitor", "path"), "msg": "Field required"}]
        assert field_errors(errors) == {"monitor.path": ["The monitor.path field is required."]}

    def test_json_syntax_error_is_about_the_body(self) -> None:
        errors = [{"type": "json_invalid", "loc": ("body", 1), "msg": "JSON decode error"}]
        assert field_errors(errors) == {"body": ["The request body is not valid JSON."]}

    def test_query_parameter(self) -> None:
        errors = [{"type": "int_parsing", "loc": ("query", "page"), "msg": "bad"}]
        assert field_errors(errors) == {"page": ["The page must be an integer."]}
