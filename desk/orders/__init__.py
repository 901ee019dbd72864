"""Orders and repairs: what the merchant's order system knows of them (records), where the assistant
reads them (the built-in store or the merchant's own system over HTTP), and the handbook's rules for
showing them (P19's phone check, P2's delivery windows, P9's repair turnaround in working days)."""
