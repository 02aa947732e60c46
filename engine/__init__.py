"""The pure numeric core of tradingsite.

Indicators, the strategy language, the backtest simulator, metrics and ML live
here. This package never imports django, rest_framework, celery, ``apps`` or
``tradingsite``: DataFrames and frozen dataclasses in, dataclasses with
``to_dict()`` out. ``engine/tests/test_cli_and_purity.py`` enforces the rule.
"""

__version__ = "0.1.0"
ENGINE_VERSION = __version__
