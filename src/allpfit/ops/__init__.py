"""Running the product: logging, scheduling, status."""
