"""Local development tooling for mentorflow (tests, local stack); never packaged or deployed."""
