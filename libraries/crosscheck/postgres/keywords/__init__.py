"""The keyword classes of crosscheck.Postgres, one module per concern."""
