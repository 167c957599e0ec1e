"""Exports that fit their purpose (issue 13): every export declares whether it identifies
pupils (``catalog``); an identifiable one states a purpose from the lead's list and, above
the lead's number of pupils, uses the lead's approval (``check``); the list, the number and
the approvals are kept by ``service``."""
