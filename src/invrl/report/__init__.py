"""Paper-style tables and figures, read from result cubes only."""
