"""Background jobs: Celery worker and beat with RabbitMQ, or an in-process scheduler in embedded mode."""
