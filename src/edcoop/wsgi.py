"""The WSGI application, for `edcoop serve` (gunicorn) or any other WSGI server.

A web server's processes pool their database connections (settings: EDCOOP_DB_POOL).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edcoop.settings")
os.environ.setdefault("EDCOOP_DB_POOL", "true")
application = get_wsgi_application()
