//! Organizations, people, addresses and roles.
//!
//! A person may write from several addresses and under several names (the
//! seed's manager is Liu Jian, Carl Liu and 刘健 at once); two records of one
//! person can be merged. Organizations own mail domains; the vendor's own
//! organization is marked as staff.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A normalised email address: trimmed, lower-case, with one `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Address(String);

/// The text is not an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an email address; write it as name@example.com")]
pub struct BadAddress(pub String);

impl Address {
    /// The domain part, after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// The whole address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Address {
    type Err = BadAddress;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        let normalised = trimmed.to_lowercase();
        let valid = match normalised.rsplit_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !normalised
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;\"".contains(c))
            }
            None => false,
        };
        if valid && normalised.len() <= 320 {
            Ok(Address(normalised))
        } else {
            Err(BadAddress(text.to_string()))
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Address {
    type Error = BadAddress;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Address> for String {
    fn from(address: Address) -> String {
        address.0
    }
}

/// Normalises a mail domain (`Example.COM.` becomes `example.com`), or refuses it.
pub fn normalise_domain(text: &str) -> Result<String, BadAddress> {
    let domain = text
        .trim()
        .trim_start_matches('@')
        .trim_end_matches('.')
        .to_lowercase();
    let valid = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if valid {
        Ok(domain)
    } else {
        Err(BadAddress(text.to_string()))
    }
}

/// Whether `domain` is `parent` or one of its subdomains (`mail.acer.com` under `acer.com`).
pub fn domain_within(domain: &str, parent: &str) -> bool {
    domain == parent
        || domain
            .strip_suffix(parent)
            .is_some_and(|head| head.ends_with('.'))
}

/// What a user may do; a person without a role is a contact with no login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Configures Casebook and manages users.
    Admin,
    /// Leads engineers: escalations, dashboards, reassignments.
    Manager,
    /// Works cases.
    Engineer,
    /// Connects partners and engineers (the seed's Gao Meng).
    Liaison,
    /// A partner's contact: sees their own organization's cases only.
    PartnerContact,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Manager,
        Role::Engineer,
        Role::Liaison,
        Role::PartnerContact,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Engineer => "engineer",
            Role::Liaison => "liaison",
            Role::PartnerContact => "partner_contact",
        }
    }

    /// Whether this role belongs to the vendor's staff.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::PartnerContact)
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == wanted)
            .ok_or_else(|| format!("'{text}' is not a role; use one of admin, manager, engineer, liaison, partner_contact"))
    }
}

/// A person as the domain sees them: names and addresses, gathered from mail and by hand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonRecord {
    /// The name shown first.
    pub display_name: String,
    /// Every name seen for this person, display name included.
    pub names: Vec<String>,
    /// Every address of this person.
    pub addresses: Vec<Address>,
}

impl PersonRecord {
    /// Merges `other` into `self`: names and addresses are united, order kept, no repeats.
    pub fn merge(mut self, other: PersonRecord) -> PersonRecord {
        for name in std::iter::once(other.display_name).chain(other.names) {
            if !name.is_empty() && !self.names.contains(&name) {
                self.names.push(name);
            }
        }
        for address in other.addresses {
            if !self.addresses.contains(&address) {
                self.addresses.push(address);
            }
        }
        if self.display_name.is_empty() {
            self.display_name = self.names.first().cloned().unwrap_or_default();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_address(text: &str, expected: Option<&str>) {
        assert_eq!(
            text.parse::<Address>().ok().as_ref().map(Address::as_str),
            expected,
            "{text}"
        );
    }

    #[test]
    fn addresses() {
        check_address("LiuJian@CMGOS.com", Some("liujian@cmgos.com"));
        check_address(" <a@b.c> ", Some("a@b.c"));
        check_address("no-at-sign", None);
        check_address("@example.com", None);
        check_address("a@", None);
        check_address("a b@example.com", None);
        check_address("a@example.com.", None);
        assert_eq!(
            "x@mail.acer.com".parse::<Address>().unwrap().domain(),
            "mail.acer.com"
        );
    }

    #[test]
    fn domains() {
        assert_eq!(normalise_domain("@Acer.COM."), Ok("acer.com".to_string()));
        assert!(normalise_domain("a..b").is_err());
        assert!(domain_within("mail.acer.com", "acer.com"));
        assert!(domain_within("acer.com", "acer.com"));
        assert!(!domain_within("notacer.com", "acer.com"));
    }

    #[test]
    fn merging_people_unites_names_and_addresses() {
        let carl = PersonRecord {
            display_name: "Carl Liu".into(),
            names: vec!["Carl Liu".into(), "刘健".into()],
            addresses: vec!["liujian@cmgos.com".parse().unwrap()],
        };
        let liu = PersonRecord {
            display_name: "Liu Jian".into(),
            names: vec!["Liu Jian".into()],
            addresses: vec![
                "liujian@cmgos.com".parse().unwrap(),
                "carl@example.com".parse().unwrap(),
            ],
        };
        let merged = carl.merge(liu);
        assert_eq!(merged.display_name, "Carl Liu");
        assert_eq!(merged.names, ["Carl Liu", "刘健", "Liu Jian"]);
        assert_eq!(merged.addresses.len(), 2);
    }
}
