"""What the demo's repositories share: the configuration loader, message contracts, fault switches."""
