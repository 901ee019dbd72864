"""The customers of a fault run, one module per channel: each sends its message as that channel's
client or platform does (`base.Customer`), and sends it again, as it would, when not acknowledged."""
