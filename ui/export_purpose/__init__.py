"""The purpose asked before an identifiable export (``dialog``) and the lead's page of
purposes, the number of pupils and the approvals (``page``)."""
