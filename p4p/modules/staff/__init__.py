"""Coordinator and admin accounts, managed by admins on the web."""
