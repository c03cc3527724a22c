"""Log-in, tokens, throttling of failed log-ins, log-out."""
