FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=tradingsite.settings.production \
    STORAGE_DIR=/data STATIC_ROOT=/app/staticfiles

WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only-not-secret-$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n') \
    python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /data && chown -R app /data
USER app
EXPOSE 8000
CMD ["gunicorn", "tradingsite.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
