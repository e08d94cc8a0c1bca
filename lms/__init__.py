"""The 287(g) training LMS. The application factory is lms.app.create_app; docs/ARCHITECTURE.md maps the packages."""
