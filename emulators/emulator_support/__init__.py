"""Plumbing shared by both emulators: background serving, the CLI loop, request counters.

Why: the two emulators differ in every API detail but run, stop and count the same way;
keeping that in one place means a fix to shutdown or counting reaches both.
"""
