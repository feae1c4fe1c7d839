//! Schema migrations, one SQL file per version for each backend.
//!
//! Each migration runs in its own write transaction (so two instances
//! starting at once apply it once) and is recorded in `schema_migrations`.

use crate::{Backend, Error, Result, Store};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "timeline_message_index",
        sqlite: include_str!("../migrations/sqlite/0002_timeline_message_index.sql"),
        postgres: include_str!("../migrations/postgres/0002_timeline_message_index.sql"),
    },
    Migration {
        version: 3,
        name: "case_number_origin",
        sqlite: include_str!("../migrations/sqlite/0003_case_number_origin.sql"),
        postgres: include_str!("../migrations/postgres/0003_case_number_origin.sql"),
    },
    Migration {
        version: 4,
        name: "blob_packs",
        sqlite: include_str!("../migrations/sqlite/0004_blob_packs.sql"),
        postgres: include_str!("../migrations/postgres/0004_blob_packs.sql"),
    },
];

pub(crate) async fn run(store: &Store) -> Result<()> {
    let create = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
    let mut tx = store.pool.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7290)")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(create).execute(&mut *tx).await?;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
    let known = MIGRATIONS.last().map_or(0, |migration| migration.version);
    if let Some(found) = applied.iter().copied().max().filter(|found| *found > known) {
        return Err(Error::TooNew { found, known });
    }
    for migration in MIGRATIONS
        .iter()
        .filter(|migration| !applied.contains(&migration.version))
    {
        let sql = match store.backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        let failed = |source| Error::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(failed)?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration {}",
            migration.name
        );
    }
    tx.commit().await?;
    Ok(())
}
