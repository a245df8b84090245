# The portal's image: web, worker, beat and migrate all run it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

# Pango for WeasyPrint (the PDF reports); the Noto fonts of every script for the report and the
# portal (static/fonts/fonts.css, served from /usr/share/fonts: FONT_DIRS); gettext's msgfmt to
# compile the subject's languages (locale/).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji gettext \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_LOG_FORMAT=json \
    PRIVATE_STORAGE_ROOT=/var/lib/dsar/private

WORKDIR /app
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock

COPY . .
# Static files are collected once, into the image; whitenoise serves them compressed. The
# message catalogues are compiled once too (.mo files are build products).
RUN DJANGO_DEBUG=true python manage.py collectstatic --noinput \
    && DJANGO_DEBUG=true python manage.py compilemessages --ignore .venv \
    && useradd --system --uid 1000 --home-dir /app dsar \
    && mkdir -p var /var/lib/dsar/private /var/lib/dsar/beat /var/lib/dsar/anchors \
    && chown -R dsar var /var/lib/dsar
USER dsar

EXPOSE 8000
CMD ["gunicorn", "dsar_portal.wsgi", "--bind", "0.0.0.0:8000"]
