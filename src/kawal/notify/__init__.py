"""Notifications out: the outbox in Kawal's store and its delivery through Airflow's SMTP connection."""
