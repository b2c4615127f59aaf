"""The Celery application.

Start a worker with ``celery -A valhalla worker`` and the periodic sweeps with
``celery -A valhalla beat``. With no ``CELERY_BROKER_URL`` tasks run eagerly,
in-process, after the transaction that enqueued them commits.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "valhalla.settings")

app = Celery("valhalla")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
