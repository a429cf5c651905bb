"""The platform-neutral core: events in, replies out. No platform library is imported here."""
