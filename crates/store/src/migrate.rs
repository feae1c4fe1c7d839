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
    Migration {
        version: 5,
        name: "timeline_events",
        sqlite: include_str!("../migrations/sqlite/0005_timeline_events.sql"),
        postgres: include_str!("../migrations/postgres/0005_timeline_events.sql"),
    },
    Migration {
        version: 6,
        name: "auth",
        sqlite: include_str!("../migrations/sqlite/0006_auth.sql"),
        postgres: include_str!("../migrations/postgres/0006_auth.sql"),
    },
    Migration {
        version: 7,
        name: "workspace",
        sqlite: include_str!("../migrations/sqlite/0007_workspace.sql"),
        postgres: include_str!("../migrations/postgres/0007_workspace.sql"),
    },
    Migration {
        version: 8,
        name: "live",
        sqlite: include_str!("../migrations/sqlite/0008_live.sql"),
        postgres: include_str!("../migrations/postgres/0008_live.sql"),
    },
    Migration {
        version: 9,
        name: "accounts",
        sqlite: include_str!("../migrations/sqlite/0009_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0009_accounts.sql"),
    },
    Migration {
        version: 10,
        name: "case_counts",
        sqlite: include_str!("../migrations/sqlite/0010_case_counts.sql"),
        postgres: include_str!("../migrations/postgres/0010_case_counts.sql"),
    },
    Migration {
        version: 11,
        name: "sla",
        sqlite: include_str!("../migrations/sqlite/0011_sla.sql"),
        postgres: include_str!("../migrations/postgres/0011_sla.sql"),
    },
    Migration {
        version: 12,
        name: "mail",
        sqlite: include_str!("../migrations/sqlite/0012_mail.sql"),
        postgres: include_str!("../migrations/postgres/0012_mail.sql"),
    },
];

impl Store {
    /// Whether every migration this binary knows is applied (an instance behind a load balancer
    /// is ready only then).
    pub async fn migrations_current(&self) -> Result<bool> {
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await?;
        Ok(applied == MIGRATIONS.last().map(|migration| migration.version))
    }
}

/// Whether the database holds a Casebook schema (any migration applied).
pub(crate) async fn has_schema(store: &Store) -> Result<bool> {
    let query = match store.backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
        }
    };
    let count: i64 = sqlx::query_scalar(query).fetch_one(&store.pool).await?;
    Ok(count > 0)
}

/// Applies the migrations up to `up_to` that the database lacks.
pub(crate) async fn run_to(store: &Store, up_to: i64) -> Result<()> {
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
        .filter(|migration| migration.version <= up_to && !applied.contains(&migration.version))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use case::{EntryKind, Event};
    use testkit::TestDb;

    use crate::{OpenMode, Store, StoreConfig};

    fn config(db: &TestDb) -> StoreConfig {
        StoreConfig {
            database_url: db.database_url.clone(),
            ..StoreConfig::in_dir(db.data_dir())
        }
    }

    /// Entries written before the timeline had its own event kinds: edits, merges and splits as notes
    /// with an English sentence, the opening as an event `created`.
    const OLD_ENTRIES: &[(&str, &str)] = &[
        ("status_change", r#"{"event":"created","to":"new"}"#),
        ("note", r#"{"text":"called the partner"}"#),
        (
            "note",
            r#"{"event":"edited","text":"changed priority, stage","changes":{"priority":{"from":"P3","to":"P2"},"stage":{"from":"初次响应","to":"分析"}}}"#,
        ),
        (
            "note",
            r#"{"event":"merged","text":"merged CAS-00002-BBBBBB into this case","from":"CAS-00002-BBBBBB"}"#,
        ),
        (
            "note",
            r#"{"event":"split_to","text":"split CAS-00003-CCCCCC off this case: x","case":"CAS-00003-CCCCCC"}"#,
        ),
        (
            "status_change",
            r#"{"from":"new","to":"in_progress","summary":null}"#,
        ),
        ("assignment", r#"{"from":null,"to":"Li Qi"}"#),
    ];

    async fn old_entries_become_events(db: TestDb) {
        let store = Store::open_migrated_to(&config(&db), OpenMode::Create, 4)
            .await
            .unwrap();
        sqlx::query("INSERT INTO organizations (id, name, name_key, is_staff, created_at) VALUES (1, 'Acer', 'acer', 0, 0)")
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO cases (id, number, title, priority, customer_org_id, customer_name, status, stage, created_at, updated_at) \
             VALUES (1, 'CAS-00001-AAAAAA', 't', 'P3', 1, 'Acer', 'in_progress', '分析', 0, 0)",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        // A Lenovo case merged into it before merges kept organizations apart, and an email from Lenovo.
        for statement in [
            "INSERT INTO organizations (id, name, name_key, is_staff, created_at) VALUES (2, 'Lenovo', 'lenovo', 0, 0)",
            "INSERT INTO org_domains (domain, org_id) VALUES ('lenovo.com', 2), ('acer.com', 1)",
            "INSERT INTO cases (id, number, title, priority, customer_org_id, customer_name, status, stage, created_at, updated_at, merged_into) \
             VALUES (2, 'CAS-00002-BBBBBB', 'dup', 'P3', 2, 'Lenovo', 'new', 'x', 0, 0, 1)",
            "INSERT INTO cases (id, number, title, priority, customer_org_id, customer_name, status, stage, created_at, updated_at, split_from) \
             VALUES (3, 'CAS-00003-CCCCCC', 'second problem', 'P3', 1, 'Acer', 'new', 'x', 0, 0, 1)",
            "INSERT INTO raw_messages (sha256, size, stored_at) VALUES ('aa', 1, 0)",
            "INSERT INTO messages (id, case_id, raw_sha256, message_id, fingerprint, direction, from_name, from_address, to_json, cc_json, \
             subject, sent_at, sent_offset, body_text, quoted_from, matched_by, thread_index_root, problems_json, received_at) \
             VALUES (1, 1, 'aa', 'm1@lenovo.com', 'f', 'inbound_email', NULL, 'wang@lenovo.com', '[]', '[]', 's', 100, 0, 'b', NULL, \
             'case_number', NULL, '[]', 100)",
            "INSERT INTO timeline (case_id, kind, at, actor, message_row_id, data_json) VALUES (1, 'inbound_email', 100, NULL, 1, '{}')",
        ] {
            sqlx::query(statement).execute(&store.pool).await.unwrap();
        }
        for (at, (kind, data)) in OLD_ENTRIES.iter().enumerate() {
            sqlx::query("INSERT INTO timeline (case_id, kind, at, actor, data_json) VALUES (1, $1, $2, 'cli', $3)")
                .bind(kind)
                .bind(i64::try_from(at).unwrap())
                .bind(data)
                .execute(&store.pool)
                .await
                .unwrap();
        }
        store.close().await;

        let store = Store::open(&config(&db)).await.unwrap();
        let mut entries = store.timeline(1).await.unwrap();
        let email = entries.pop().unwrap();
        assert_eq!(email.kind, EntryKind::InboundEmail);
        // Lenovo's mail keeps Lenovo as its organization and is internal on Acer's case.
        assert_eq!(
            (email.visibility.as_str(), email.org_id),
            ("internal", Some(2))
        );
        let events: Vec<(EntryKind, Event, &str)> = entries
            .iter()
            .map(|entry| {
                (
                    entry.kind,
                    Event::from_json(entry.kind, &entry.data).unwrap(),
                    entry.visibility.as_str(),
                )
            })
            .collect();
        use case::timeline::{MergeSide, SplitSide};
        use case::{CaseField, Status};
        let field = |field, from: &str, to: &str| Event::FieldChange {
            field,
            from: Some(from.into()),
            to: Some(to.into()),
        };
        let expected = vec![
            (
                EntryKind::StatusChange,
                Event::StatusChange {
                    from: None,
                    to: Status::New,
                    summary: None,
                },
                "public",
            ),
            (
                EntryKind::Note,
                Event::Note {
                    text: "called the partner".into(),
                },
                "internal",
            ),
            (
                EntryKind::Merge,
                Event::Merge {
                    side: MergeSide::MergedIn,
                    case: "CAS-00002-BBBBBB".into(),
                    other_customer: None,
                    made_internal: 0,
                },
                "internal",
            ),
            (
                EntryKind::Split,
                Event::Split {
                    side: SplitSide::SplitOff,
                    case: "CAS-00003-CCCCCC".into(),
                    title: "second problem".into(),
                    messages: 0,
                },
                "internal",
            ),
            (
                EntryKind::StatusChange,
                Event::StatusChange {
                    from: Some(Status::New),
                    to: Status::InProgress,
                    summary: None,
                },
                "public",
            ),
            (
                EntryKind::Assignment,
                Event::Assignment {
                    from: None,
                    to: Some("Li Qi".into()),
                },
                "internal",
            ),
        ];
        // The edit became one entry per field, in the fields' order, at the edit's time.
        let edit_fields: Vec<_> = events
            .iter()
            .filter(|(kind, ..)| *kind == EntryKind::FieldChange)
            .cloned()
            .collect();
        assert_eq!(
            edit_fields,
            [
                (
                    EntryKind::FieldChange,
                    field(CaseField::Priority, "P3", "P2"),
                    "public"
                ),
                (
                    EntryKind::FieldChange,
                    field(CaseField::Stage, "初次响应", "分析"),
                    "public"
                ),
            ]
        );
        let rest: Vec<_> = events
            .into_iter()
            .filter(|(kind, ..)| *kind != EntryKind::FieldChange)
            .collect();
        assert_eq!(rest, expected);
        assert!(entries.iter().all(|entry| entry.org_id == Some(1)));
    }

    testkit::backend_tests!(old_entries_become_events);
}
