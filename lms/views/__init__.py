"""Thin blueprints: read the request, call one service, render or redirect."""
