"""SQL schema, migrations and procedures, shipped as package data."""
