"""The shared kernel: domain words every layer uses with one meaning.

The bottom layer (imported by ``storage``, ``analysis``, ``devices``, ``toda_desktop`` and
``ui``; it imports only the standard library): the April school calendar
(:mod:`kernel.school_calendar`), the date style and store kind enums, and the progress and
cancel callables that long operations accept.
"""
