"""Plain data and table models of the 取込 wizard, one module per idea: the chosen files
(``files``), the header mapping (``mapping``) and what the check found (``preview``).

The services hand over their own objects (``FileInspection``, ``ImportPreview``,
``ImportResult``); the wizard turns what it shows into the small dataclasses of these modules
and renders them with ``QAbstractTableModel``s. Wording for staff (counts, the commit
confirmation, states) lives here too, so it can be tested without Qt windows.
"""
