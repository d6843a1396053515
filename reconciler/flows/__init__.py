"""Per flow kind, pure: which source records a flow takes, and the kind's rules that turn a
canonical record into the data its mapping reads (settings added, codes looked up)."""
