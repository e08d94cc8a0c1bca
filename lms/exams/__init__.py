"""The exam engine: question types (questions/, one class per type in a registry), draw (draw.py),
policy (policy.py), the attempt lifecycle (attempts.py), pages and autosave (pages.py), grading a whole
attempt (grading.py), review (review.py), instructor grants (grants.py), results and item analysis
(results.py, statistics.py). Banks and blueprints are loaded from files by lms.content.sync_exams.
"""
