//! Organizations with their mail domains, and people (contacts) with their names and addresses.

use case::Role;
use sqlx::{AnyConnection, Row};

use crate::{Error, Result, Store};

/// An organization: a partner company or the vendor itself (staff).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrgRecord {
    /// Internal id; never changes.
    pub id: i64,
    /// The name as entered.
    pub name: String,
    /// Mail domains, lower-case, sorted.
    pub domains: Vec<String>,
    /// Whether this is the vendor's own organization.
    pub is_staff: bool,
}

/// A person: names, addresses, an organization and a role, all optional but the first name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContactRecord {
    /// Internal id; never changes.
    pub id: i64,
    /// The name shown first.
    pub display_name: String,
    /// Every name seen, display name first.
    pub names: Vec<String>,
    /// Every address, sorted.
    pub addresses: Vec<String>,
    /// The organization's name, if linked.
    pub org: Option<String>,
    /// The role, if the person is a user.
    pub role: Option<Role>,
}

impl Store {
    /// Adds an organization, or adds domains to the one with this name (names compare case-insensitively).
    pub async fn add_org(
        &self,
        name: &str,
        domains: &[String],
        is_staff: bool,
        now: i64,
    ) -> Result<OrgRecord> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::conflict("org_needs_name", &[]));
        }
        let mut tx = self.write_tx().await?;
        let key = name.to_lowercase();
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM organizations WHERE name_key = $1")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
        let id = match existing {
            Some(id) => {
                if is_staff {
                    sqlx::query("UPDATE organizations SET is_staff = 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
                }
                id
            }
            None => {
                sqlx::query_scalar(
                    "INSERT INTO organizations (name, name_key, is_staff, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(name)
                .bind(&key)
                .bind(i64::from(is_staff))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        for domain in domains {
            let owner: Option<String> = sqlx::query_scalar(
                "SELECT o.name FROM org_domains d JOIN organizations o ON o.id = d.org_id WHERE d.domain = $1 AND d.org_id <> $2",
            )
            .bind(domain)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(owner) = owner {
                return Err(Error::conflict(
                    "domain_taken",
                    &[("domain", &domain), ("org", &owner)],
                ));
            }
            sqlx::query("INSERT INTO org_domains (domain, org_id) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING")
                .bind(domain)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let record = org_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Every organization, by name.
    pub async fn list_orgs(&self) -> Result<Vec<OrgRecord>> {
        let mut connection = self.pool.acquire().await?;
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM organizations ORDER BY name_key")
            .fetch_all(&mut *connection)
            .await?;
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            records.push(org_by_id(&mut connection, id).await?);
        }
        Ok(records)
    }

    /// The organization with this name (case-insensitive), if any.
    pub async fn find_org(&self, name: &str) -> Result<Option<OrgRecord>> {
        let mut connection = self.pool.acquire().await?;
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM organizations WHERE name_key = $1")
                .bind(name.trim().to_lowercase())
                .fetch_optional(&mut *connection)
                .await?;
        match id {
            Some(id) => Ok(Some(org_by_id(&mut connection, id).await?)),
            None => Ok(None),
        }
    }

    /// Adds a contact, or updates the person who has this address: a new name is added, an organization or role set.
    pub async fn add_contact(
        &self,
        address: &str,
        name: Option<&str>,
        org_id: Option<i64>,
        role: Option<Role>,
        now: i64,
    ) -> Result<ContactRecord> {
        let mut tx = self.write_tx().await?;
        let display = name
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .unwrap_or(address);
        let id = ensure_person(&mut tx, display, Some(address), now).await?;
        if let Some(name) = name.map(str::trim).filter(|name| !name.is_empty()) {
            add_name(&mut tx, id, name).await?;
        }
        if let Some(org_id) = org_id {
            sqlx::query("UPDATE people SET org_id = $1 WHERE id = $2")
                .bind(org_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(role) = role {
            sqlx::query("UPDATE people SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let record = contact_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Every person not merged into another, by name.
    pub async fn list_contacts(&self) -> Result<Vec<ContactRecord>> {
        let mut connection = self.pool.acquire().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM people WHERE merged_into IS NULL ORDER BY display_name, id",
        )
        .fetch_all(&mut *connection)
        .await?;
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            records.push(contact_by_id(&mut connection, id).await?);
        }
        Ok(records)
    }

    /// The person with this address, or else with this name, if any.
    pub async fn find_contact(&self, address_or_name: &str) -> Result<Option<ContactRecord>> {
        let mut connection = self.pool.acquire().await?;
        let id = find_person_strict(&mut connection, address_or_name).await?;
        match id {
            Some(id) => Ok(Some(contact_by_id(&mut connection, id).await?)),
            None => Ok(None),
        }
    }

    /// Merges the person `gone` into `keep`: addresses and names move, `gone` points at `keep` from then on.
    pub async fn merge_contacts(&self, keep: i64, gone: i64) -> Result<ContactRecord> {
        if keep == gone {
            return Err(Error::conflict("contact_merge_into_itself", &[]));
        }
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE person_addresses SET person_id = $1 WHERE person_id = $2")
            .bind(keep)
            .bind(gone)
            .execute(&mut *tx)
            .await?;
        let names: Vec<String> =
            sqlx::query_scalar("SELECT name FROM person_names WHERE person_id = $1")
                .bind(gone)
                .fetch_all(&mut *tx)
                .await?;
        for name in names {
            add_name(&mut tx, keep, &name).await?;
        }
        sqlx::query("UPDATE people SET org_id = COALESCE(people.org_id, (SELECT org_id FROM people WHERE id = $2)) WHERE id = $1")
            .bind(keep)
            .bind(gone)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE people SET merged_into = $1 WHERE id = $2 OR merged_into = $2")
            .bind(keep)
            .bind(gone)
            .execute(&mut *tx)
            .await?;
        let record = contact_by_id(&mut tx, keep).await?;
        tx.commit().await?;
        Ok(record)
    }
}

pub(crate) async fn org_by_id(connection: &mut AnyConnection, id: i64) -> Result<OrgRecord> {
    let row = sqlx::query("SELECT id, name, is_staff FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *connection)
        .await?;
    let domains: Vec<String> =
        sqlx::query_scalar("SELECT domain FROM org_domains WHERE org_id = $1 ORDER BY domain")
            .bind(id)
            .fetch_all(&mut *connection)
            .await?;
    Ok(OrgRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        domains,
        is_staff: row.try_get::<i64, _>("is_staff")? != 0,
    })
}

pub(crate) async fn contact_by_id(
    connection: &mut AnyConnection,
    id: i64,
) -> Result<ContactRecord> {
    let row = sqlx::query(
        "SELECT p.id, p.display_name, p.role, o.name AS org FROM people p LEFT JOIN organizations o ON o.id = p.org_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *connection)
    .await?;
    let display_name: String = row.try_get("display_name")?;
    let mut names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM person_names WHERE person_id = $1 ORDER BY name")
            .bind(id)
            .fetch_all(&mut *connection)
            .await?;
    names.retain(|name| *name != display_name);
    names.insert(0, display_name.clone());
    let addresses: Vec<String> = sqlx::query_scalar(
        "SELECT address FROM person_addresses WHERE person_id = $1 ORDER BY address",
    )
    .bind(id)
    .fetch_all(&mut *connection)
    .await?;
    let role: Option<String> = row.try_get("role")?;
    Ok(ContactRecord {
        id: row.try_get("id")?,
        display_name,
        names,
        addresses,
        org: row.try_get("org")?,
        role: role.and_then(|role| role.parse().ok()),
    })
}

async fn person_by_address(connection: &mut AnyConnection, address: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT person_id FROM person_addresses WHERE address = $1")
            .bind(address.to_lowercase())
            .fetch_optional(&mut *connection)
            .await?,
    )
}

pub(crate) async fn find_person(
    connection: &mut AnyConnection,
    address_or_name: &str,
) -> Result<Option<i64>> {
    let key = address_or_name.trim();
    if let Some(id) = person_by_address(connection, key).await? {
        return Ok(Some(id));
    }
    Ok(sqlx::query_scalar(
        "SELECT p.id FROM person_names n JOIN people p ON p.id = n.person_id WHERE n.name = $1 AND p.merged_into IS NULL ORDER BY p.id LIMIT 1",
    )
    .bind(key)
    .fetch_optional(&mut *connection)
    .await?)
}

/// Like [`find_person`], but a name that several people share is an error that lists them.
async fn find_person_strict(
    connection: &mut AnyConnection,
    address_or_name: &str,
) -> Result<Option<i64>> {
    let key = address_or_name.trim();
    // `#12` names a person by id, as `contact list` shows them.
    if let Some(id) = key
        .strip_prefix('#')
        .and_then(|digits| digits.parse::<i64>().ok())
    {
        return Ok(sqlx::query_scalar(
            "SELECT id FROM people WHERE id = $1 AND merged_into IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?);
    }
    if let Some(id) = person_by_address(connection, key).await? {
        return Ok(Some(id));
    }
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT p.id FROM person_names n JOIN people p ON p.id = n.person_id \
         WHERE n.name = $1 AND p.merged_into IS NULL ORDER BY p.id",
    )
    .bind(key)
    .fetch_all(&mut *connection)
    .await?;
    match ids.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        several => {
            let mut described = Vec::new();
            for id in several {
                let contact = contact_by_id(connection, *id).await?;
                let addresses = if contact.addresses.is_empty() {
                    "no address".to_string()
                } else {
                    contact.addresses.join(", ")
                };
                described.push(format!("#{id} ({addresses})"));
            }
            Err(Error::conflict(
                "contact_ambiguous",
                &[
                    ("name", &key),
                    ("count", &several.len()),
                    ("people", &described.join(", ")),
                ],
            ))
        }
    }
}

async fn add_name(connection: &mut AnyConnection, person: i64, name: &str) -> Result<()> {
    sqlx::query("INSERT INTO person_names (person_id, name) VALUES ($1, $2) ON CONFLICT (person_id, name) DO NOTHING")
        .bind(person)
        .bind(name)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Finds the person with this address (or, with no address, this name) or creates one; returns the id.
pub(crate) async fn ensure_person(
    connection: &mut AnyConnection,
    name: &str,
    address: Option<&str>,
    now: i64,
) -> Result<i64> {
    let existing = match address {
        Some(address) => {
            sqlx::query_scalar::<_, i64>(
                "SELECT person_id FROM person_addresses WHERE address = $1",
            )
            .bind(address)
            .fetch_optional(&mut *connection)
            .await?
        }
        None => find_person(connection, name).await?,
    };
    if let Some(id) = existing {
        if !name.is_empty() && Some(name) != address {
            add_name(connection, id, name).await?;
        }
        return Ok(id);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO people (display_name, created_at) VALUES ($1, $2) RETURNING id",
    )
    .bind(name)
    .bind(now)
    .fetch_one(&mut *connection)
    .await?;
    add_name(connection, id, name).await?;
    if let Some(address) = address {
        sqlx::query("INSERT INTO person_addresses (address, person_id) VALUES ($1, $2)")
            .bind(address)
            .bind(id)
            .execute(&mut *connection)
            .await?;
    }
    Ok(id)
}
