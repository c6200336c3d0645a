"""Business rules and transactions. Services never touch request, session or templates."""
