//! The app layer end to end, on SQLite and PostgreSQL.

mod workspace;
