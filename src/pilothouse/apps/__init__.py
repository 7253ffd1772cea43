"""One package per product API. Each exposes `spec` (an AppSpec) and its `models` module."""

# name → module; the server mounts them in this order.
APP_MODULES: dict[str, str] = {
    "onepilot": "pilothouse.apps.onepilot",
}
