"""The exam engine: draw (draw.py), policy (policy.py), the attempt lifecycle (attempts.py), pages and
autosave (pages.py), grading a whole attempt (grading.py), review (review.py), instructor grants
(grants.py), results and item analysis (results.py, statistics.py). The question types it asks are in
lms.questions; banks and blueprints are loaded from files by lms.content.sync_exams.
"""
