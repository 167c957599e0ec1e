"""Records of one dataset kind: listing and export within the role's need to know."""
