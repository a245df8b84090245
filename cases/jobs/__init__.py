"""Periodic jobs run by Celery beat (and by hand with their management commands):
deadline reminders to officers, and the retention purge of finished cases."""
