"""データ概要: the start of the day per role (``start.py``, ``day.py``), what the store holds and
its integrity check (``service.py``)."""
