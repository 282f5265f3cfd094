"""mentorflow: wires the feature Blueprints into one Chalice app. No logic lives here."""

from chalice import Chalice

from chalicelib import jobs
from chalicelib.api import (
    calendar_routes,
    connect_routes,
    intake_routes,
    invite_mail,
    link_routes,
    matching_routes,
    meeting_routes,
    sync_routes,
    webhook_routes,
)
from chalicelib.api import routes as api_routes

# Logging is Powertools' structured JSON (chalicelib.logging); Chalice's own handler would print every record twice.
app = Chalice(app_name="mentorflow", configure_logs=False)
app.register_blueprint(webhook_routes.bp)
app.register_blueprint(api_routes.bp)
app.register_blueprint(intake_routes.bp)
app.register_blueprint(matching_routes.bp)
app.register_blueprint(meeting_routes.bp)
app.register_blueprint(calendar_routes.bp)
app.register_blueprint(connect_routes.bp)
app.register_blueprint(invite_mail.bp)
app.register_blueprint(link_routes.bp)
app.register_blueprint(jobs.bp)
app.register_blueprint(sync_routes.bp)
