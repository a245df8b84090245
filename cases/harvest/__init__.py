"""Collecting ("harvesting") a case's channel activity from Netcore, one window at a time.

- `planning`: the windows a case needs, and starting or retrying its collection;
- `dispatch`: which windows wait in the queue, fairly across cases;
- `window`: claiming, fetching and storing one window (the Celery task is beside it);
- `heartbeat`: keeping a worker's claims alive while it works;
- `progress`: where a collection stands;
- `watchdog`: claims whose worker died, and messages the broker lost, taken back.

A window goes pending → queued → running → done or failed; only the officer's retry (or a new
plan) takes a failed window back to pending.
"""
