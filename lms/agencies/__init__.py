"""Agencies: agencies, their agreements (MOUs), nominations, rosters and the oversight figures."""
