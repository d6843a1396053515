"""Planning, pure: desired x actual -> one frozen action per record, and the pass's safety check."""
