"""Who may do what on the broker (one model), and applying it: users, ACLs, Strimzi users."""
