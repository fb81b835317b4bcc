"""demo-producer: sample messages on seed 001's channels (``demo-producer produce``)."""
