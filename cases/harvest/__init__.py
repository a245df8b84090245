"""Collecting ("harvesting") a case's channel activity from Netcore, one window at a time.

- `planning`: the windows a case needs, and starting or retrying its collection;
- `window`: claiming, fetching and storing one window (the Celery task is beside it);
- `progress`: where a collection stands;
- `watchdog`: windows whose worker died, put back in the queue.
"""
