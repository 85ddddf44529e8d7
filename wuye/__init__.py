"""wuye (物業): property-fee billing and collections."""
