"""データ概要: the page and its table of counts per dataset and year."""
