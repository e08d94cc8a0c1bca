"""The exam engine: draw (draw.py), grading (grading.py, a registry of question types), policy
(policy.py), the attempt lifecycle (attempts.py), instructor grants (grants.py), results and
statistics (results.py, statistics.py), and loading banks and blueprints from files (sync.py).
"""
