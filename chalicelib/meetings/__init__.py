"""The meetings feature: calendars' and booking tools' words about a pair's meetings, handed to the service."""
