# One image for every process: web, worker, beat and the release step.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ENCORE_ENV=production
WORKDIR /srv/encore
COPY pyproject.toml ./
COPY app ./app
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --system --home /srv/encore encore && mkdir -p instance && chown encore instance
USER encore
EXPOSE 5000
CMD ["python", "wsgi.py"]
