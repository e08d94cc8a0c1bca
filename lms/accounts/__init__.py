"""Accounts: users, sign-in, passwords, access review and second factors."""
