"""Demo data: a realistic, seeded month of a contact center's source exports."""
