"""WeChat Official Account: verified callbacks in every encryption mode, passive replies, customer-service API."""
