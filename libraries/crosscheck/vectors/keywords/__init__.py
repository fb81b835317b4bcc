"""The keyword classes of crosscheck.Vectors, one module per concern."""
