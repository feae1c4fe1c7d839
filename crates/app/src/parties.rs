//! Organizations and contacts: who the customers are, and the people on both sides.

use case::Role;
use serde_json::json;

use crate::{views, App, AppError};

impl App {
    /// Adds an organization (or adds domains to it).
    pub async fn org_add(
        &self,
        name: &str,
        domains: &[String],
        is_staff: bool,
    ) -> Result<views::OrgView, AppError> {
        let domains = domains
            .iter()
            .map(|domain| {
                case::party::normalise_domain(domain)
                    .map_err(|_| AppError::invalid("bad_domain", json!({ "value": domain })))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if name.trim().is_empty() {
            return Err(AppError::invalid("org_name_empty", json!({})));
        }
        Ok(self
            .store
            .add_org(name, &domains, is_staff, self.now().timestamp_micros())
            .await?
            .into())
    }

    /// Every organization.
    pub async fn org_list(&self) -> Result<Vec<views::OrgView>, AppError> {
        Ok(self
            .store
            .list_orgs()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Adds a contact, or updates the person with this address.
    pub async fn contact_add(
        &self,
        address: &str,
        name: Option<&str>,
        org: Option<&str>,
        role: Option<Role>,
    ) -> Result<views::ContactView, AppError> {
        let address: case::Address = address.parse().map_err(|_: case::party::BadAddress| {
            AppError::invalid("bad_address", json!({ "value": address }))
        })?;
        let org_record = match org {
            Some(name) => Some(
                self.store
                    .find_org(name)
                    .await?
                    .ok_or_else(|| AppError::org_not_found(name))?,
            ),
            None => None,
        };
        // A customer's contact never gets a staff role: the access policy would not honour it, and
        // a reader of the contact list would believe it.
        if let (Some(org), Some(role)) = (&org_record, role) {
            if role.is_staff() && !org.is_staff {
                return Err(AppError::invalid(
                    "staff_role_outside_staff",
                    json!({ "role": role.as_str(), "org": org.name }),
                ));
            }
        }
        let org_id = org_record.map(|org| org.id);
        let record = self
            .store
            .add_contact(
                address.as_str(),
                name,
                org_id,
                role,
                self.now().timestamp_micros(),
            )
            .await?;
        Ok(record.into())
    }

    /// One contact, by `#id`, an address or a name.
    pub async fn contact_show(&self, label: &str) -> Result<views::ContactView, AppError> {
        Ok(self
            .store
            .find_contact(label)
            .await?
            .ok_or_else(|| AppError::contact_not_found(label))?
            .into())
    }

    /// Every contact.
    pub async fn contact_list(&self) -> Result<Vec<views::ContactView>, AppError> {
        Ok(self
            .store
            .list_contacts()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Merges two records of one person; `gone` is folded into `keep`.
    pub async fn contact_merge(
        &self,
        keep: &str,
        gone: &str,
    ) -> Result<views::ContactView, AppError> {
        let keep = self
            .store
            .find_contact(keep)
            .await?
            .ok_or_else(|| AppError::contact_not_found(keep))?;
        let gone = self
            .store
            .find_contact(gone)
            .await?
            .ok_or_else(|| AppError::contact_not_found(gone))?;
        Ok(self.store.merge_contacts(keep.id, gone.id).await?.into())
    }
}
