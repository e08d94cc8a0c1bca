"""Notifications: what happened, told to the people concerned, in the app and by e-mail.

``kinds`` names the kinds of message (which are essential), ``service`` records them and people's
preferences, ``subscribers`` turns the domains' signals (lms.signals) into messages, ``announcements``
finds what the periodic jobs announce (weeks and exam windows opening, refreshers due), and ``mail``
writes and sends the e-mails (called by the delivery job in lms.jobs, never from a request).
"""
