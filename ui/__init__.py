"""The PySide6 desktop shell: windows, pages, item models, charts, the background helper.

Calls the services of ``toda_desktop`` only; never opens the store or checks a role itself.
Start-up lives in :mod:`ui.app`.
"""
