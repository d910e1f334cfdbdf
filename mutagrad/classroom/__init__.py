"""Classroom exercises: exercise.py writes one (a network with a hidden bug), grading.py grades
a student's fix, class_set.py makes one exercise per student of a roster, answer_key.py holds the
instructor's key, gradebook.py grades a whole class, gradescope.py writes Gradescope's results.
"""
