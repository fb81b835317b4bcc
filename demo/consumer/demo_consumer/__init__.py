"""demo-consumer: records and applies seed 001's messages (``demo-consumer run``)."""
