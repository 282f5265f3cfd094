"""The programme-events feature: the yes/no page an invitation's link opens."""
