"""The steps of the import wizard, one view per step; the wizard runs the flow."""
