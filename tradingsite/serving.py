"""What a serving process starts once Django is loaded (wsgi.py and asgi.py alike).

In the embedded default (no broker) jobs run in this process: the job reaper (a job a killed
predecessor left running is requeued or failed) and the engine warm-up start here, and so
does the replay clock. With a broker both are no-ops: workers and Celery beat own them.
"""


def serving_start() -> None:
    from apps.core.jobs import jobs_embedded_start
    from apps.replay.ticker import replay_ticker_start

    jobs_embedded_start()
    replay_ticker_start()
