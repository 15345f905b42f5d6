"""Local chat analytics: importers for chat exports, "Wrapped"-style reports, a window.

Everything here runs on the user's machine; nothing is sent anywhere. The importers and
reports never import Qt, so the command line and tests run without a display.
"""
