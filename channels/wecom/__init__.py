"""WeCom Customer Service: verified callbacks, sync_msg with a durable cursor, send_msg, service_state."""
