"""What the import wizard does at each step, one controller per step over that step's view
(``ui.importing.steps``); the wizard (``ui.importing.wizard``) holds the state and wires them."""
