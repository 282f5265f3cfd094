"""The feedback feature: survey answers from a one-click link page or from a form tool's webhook."""
