"""Webhooks: subscriptions, a transactional outbox, and signed delivery with retries.

    publish(session, organization_id=..., app="onepilot", event="site_down", data={...})

writes one delivery row per matching subscription in the caller's transaction: an event is sent
if and only if the change that caused it commits. `run_deliveries` (one process at a time, under
a lease) posts them, signed, and retries failures with exponential backoff.
"""
