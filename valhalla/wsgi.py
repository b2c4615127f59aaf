"""WSGI entry point: ``gunicorn valhalla.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "valhalla.settings")

application = get_wsgi_application()
