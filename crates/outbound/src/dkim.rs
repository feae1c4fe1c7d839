//! DKIM signing of outgoing mail (`CASEBOOK_DKIM_KEY`), with `mail-auth`: a `DKIM-Signature`
//! header is put on top of each message as it is handed to the server, so that the partner's
//! server can tell the mail is the vendor's (DMARC aligned with the From domain).

use std::sync::Arc;

use mail_auth::common::crypto::{DkimKey, Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{DkimSigner, Done};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

/// The headers signed when a message has them.
const SIGNED: [&str; 11] = [
    "From",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
];

/// The DKIM key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DkimError {
    /// The file does not hold a private key in PEM form.
    #[error("the DKIM key '{path}' cannot be read: {detail} (give a PEM file with an RSA or Ed25519 private key, e.g. from `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`)")]
    Key {
        /// The file.
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// A message could not be signed.
    #[error("the message cannot be signed: {0}")]
    Sign(String),
}

/// A loaded key with its domain and selector; cheap to clone.
#[derive(Clone)]
pub struct Dkim {
    signer: Arc<DkimSigner<DkimKey, Done>>,
    domain: String,
    selector: String,
}

/// Two settings are the same when they sign as the same domain and selector.
impl PartialEq for Dkim {
    fn eq(&self, other: &Dkim) -> bool {
        self.domain == other.domain && self.selector == other.selector
    }
}

impl Eq for Dkim {}

impl std::fmt::Debug for Dkim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dkim")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

impl Dkim {
    /// Reads the key from a PEM file (PKCS#8 RSA or Ed25519, or PKCS#1 RSA).
    pub fn load(path: &str, domain: &str, selector: &str) -> Result<Dkim, DkimError> {
        let pem = std::fs::read(path).map_err(|error| DkimError::Key {
            path: path.to_string(),
            detail: error.to_string(),
        })?;
        Dkim::from_pem(&pem, domain, selector).map_err(|detail| DkimError::Key {
            path: path.to_string(),
            detail,
        })
    }

    /// Reads the key from PEM text.
    pub fn from_pem(pem: &[u8], domain: &str, selector: &str) -> Result<Dkim, String> {
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|error| error.to_string())?;
        let ed25519 = match &der {
            PrivateKeyDer::Pkcs8(pkcs8) => {
                Ed25519Key::from_pkcs8_maybe_unchecked_der(pkcs8.secret_pkcs8_der()).ok()
            }
            _ => None,
        };
        let key: DkimKey = match ed25519 {
            Some(key) => key.into(),
            None => RsaKey::<Sha256>::from_key_der(der)
                .map_err(|error| format!("neither an Ed25519 nor an RSA key: {error}"))?
                .into(),
        };
        if domain.is_empty() || selector.is_empty() {
            return Err("DKIM needs a domain and a selector".into());
        }
        let signer = DkimSigner::from_key(key)
            .domain(domain)
            .selector(selector)
            .headers(SIGNED);
        Ok(Dkim {
            signer: Arc::new(signer),
            domain: domain.to_string(),
            selector: selector.to_string(),
        })
    }

    /// The signing domain (`d=`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The selector (`s=`): the public key is the TXT record `SELECTOR._domainkey.DOMAIN`.
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// The message with its signature on top.
    pub fn sign(&self, raw: &[u8]) -> Result<Vec<u8>, DkimError> {
        let signature = self
            .signer
            .sign(raw)
            .map_err(|error| DkimError::Sign(error.to_string()))?;
        let header = signature.to_header();
        let mut signed = Vec::with_capacity(header.len() + raw.len());
        signed.extend_from_slice(header.as_bytes());
        signed.extend_from_slice(raw);
        Ok(signed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn pem_of(der: &[u8]) -> Vec<u8> {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n").into_bytes()
    }

    #[test]
    fn a_message_is_signed_on_top_and_bad_keys_are_named() {
        let rng = ring::rand::SystemRandom::new();
        let der = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("a key");
        let dkim = Dkim::from_pem(&pem_of(der.as_ref()), "cmgos.com", "casebook").expect("key");
        let raw = b"From: Support <support@cmgos.com>\r\nTo: xuda@acer.com\r\nSubject: hi\r\nMessage-ID: <a@cmgos.com>\r\n\r\nbody\r\n";
        let signed = dkim.sign(raw).expect("signed");
        let text = String::from_utf8(signed).expect("text");
        let (header, rest) = text.split_at(text.find("From: ").expect("the message follows"));
        assert_eq!(rest.as_bytes(), raw, "the message itself is unchanged");
        assert!(header.starts_with("DKIM-Signature: "), "{header}");
        let unfolded: String = header.split_whitespace().collect();
        for tag in ["a=ed25519-sha256", "d=cmgos.com", "s=casebook"] {
            assert!(unfolded.contains(tag), "{tag} in {header}");
        }
        // Headers it lacks are signed too, so that none can be added on the way.
        let signed: Vec<&str> = unfolded
            .split(";h=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .expect("h=")
            .split(':')
            .collect();
        for name in ["From", "To", "Cc", "Subject", "Message-ID", "References"] {
            assert!(signed.contains(&name), "{name} in {signed:?}");
        }
        let error = Dkim::from_pem(b"not a key", "cmgos.com", "casebook").expect_err("refused");
        assert!(!error.is_empty());
        assert!(Dkim::from_pem(&pem_of(der.as_ref()), "", "casebook").is_err());
        let missing =
            Dkim::load("/nonexistent/dkim.pem", "cmgos.com", "casebook").expect_err("no file");
        assert!(missing.to_string().contains("/nonexistent/dkim.pem"));
    }
}
