"""The steps of the import wizard, one view per step, and their places in the wizard's stack
(what each step does is in ``ui.importing.flow``)."""

START, MAPPING, PREVIEW, RESULT, FINISHED = range(5)
