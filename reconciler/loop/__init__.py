"""The long-lived reconciler: git source, scheduler, leases, the loop that runs passes."""
