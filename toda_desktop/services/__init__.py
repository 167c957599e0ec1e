"""Application services: the use cases the UI and the command line both call."""
