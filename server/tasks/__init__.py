"""What waits for the signed-in user: counts for their home screen."""
