//! Verification of one signed OAuth message for the simulator's provider: parameter collection,
//! the consumer public key formats Jira accepts, the nonce memory, and the checks of net.oauth's
//! `SimpleOAuthValidator.validateMessage` in its order (single parameters → version → timestamp
//! and nonce → signature method → RSA-SHA1 signature).

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha1::{Digest as _, Sha1};

use super::base_string::{parse_authorization, signature_base_string};
use super::problem::Problem;
use super::{SignedRequest, INVALID_PUBLIC_KEY, RSA_SHA1};

/// Every parameter of one request (header without `realm`, then query, then form): protocol
/// parameters are looked up in it and the base string is built from all of it.
pub(super) struct Params {
    pub(super) all: Vec<(String, String)>,
}

impl Params {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.all
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// net.oauth `requireParameters`: every missing name is listed.
    pub(super) fn require(&self, names: &[&str]) -> Result<(), Problem> {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| self.get(n).is_none())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Problem::absent(&missing))
        }
    }

    pub(super) fn required(&self, name: &str) -> Result<&str, Problem> {
        self.get(name).ok_or_else(|| Problem::absent(&[name]))
    }
}

/// Reads the parameters; Ok(None) when the request has no OAuth `Authorization` header.
pub(super) fn header_params(req: &SignedRequest) -> Result<Option<Vec<(String, String)>>, Problem> {
    let Some(header) = req.authorization.as_deref() else {
        return Ok(None);
    };
    let parsed = parse_authorization(header).map_err(|e| {
        tracing::debug!(error = %e, "unparsable OAuth Authorization header");
        Problem::rejected("Authorization")
    })?;
    Ok(parsed.map(|p| p.into_iter().filter(|(k, _)| k != "realm").collect()))
}

/// Header parameters first, then query, then form.
pub(super) fn collect_params(header: Vec<(String, String)>, req: &SignedRequest) -> Params {
    let mut all = header;
    all.extend(req.query.iter().cloned());
    all.extend(req.form.iter().cloned());
    Params { all }
}

/// Parses a consumer public key the way Jira's incoming-link form accepts it: an X.509
/// SubjectPublicKeyInfo, either PEM (`BEGIN PUBLIC KEY`) or the bare base64 body. PKCS#1
/// (`BEGIN RSA PUBLIC KEY`) and anything else → Err([`INVALID_PUBLIC_KEY`]).
pub fn parse_public_key(text: &str) -> Result<RsaPublicKey, String> {
    let text = text.trim();
    let invalid = || INVALID_PUBLIC_KEY.to_string();
    if text.contains("-----BEGIN") {
        if !text.starts_with("-----BEGIN PUBLIC KEY-----") {
            return Err(invalid());
        }
        return RsaPublicKey::from_public_key_pem(text).map_err(|_| invalid());
    }
    let body: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| invalid())?;
    RsaPublicKey::from_public_key_der(&der).map_err(|_| invalid())
}

/// Nonces seen per timestamp, so those that fell out of the timestamp window can be dropped in
/// order: memory stays bounded by request rate × window.
#[derive(Default)]
pub(super) struct Nonces {
    by_timestamp: BTreeMap<i64, HashSet<(String, String)>>,
}

impl Nonces {
    /// Forgets every timestamp before `min`: such requests are refused by the timestamp check
    /// before their nonce is looked at, so remembering them is useless. Amortised O(1) per
    /// request, as each timestamp is removed once.
    pub(super) fn forget_before(&mut self, min: i64) {
        while let Some(entry) = self.by_timestamp.first_entry() {
            if *entry.key() < min {
                entry.remove();
            } else {
                break;
            }
        }
    }

    /// Records a nonce for consumer + timestamp; false when it was already used.
    pub(super) fn record(&mut self, timestamp: i64, consumer_key: &str, nonce: &str) -> bool {
        self.by_timestamp
            .entry(timestamp)
            .or_default()
            .insert((consumer_key.to_string(), nonce.to_string()))
    }

    /// How many distinct timestamps are remembered.
    pub(super) fn timestamps(&self) -> usize {
        self.by_timestamp.len()
    }

    /// How many nonces are remembered in all.
    pub(super) fn len(&self) -> usize {
        self.by_timestamp.values().map(HashSet::len).sum()
    }
}

/// Checks one message signed by `consumer_key` against its `public_key`. `window` is the
/// accepted (min, max) timestamp range on the server clock.
pub(super) fn verify_message(
    p: &Params,
    req: &SignedRequest,
    consumer_key: &str,
    public_key: &RsaPublicKey,
    window: (i64, i64),
    nonces: &mut Nonces,
) -> Result<(), Problem> {
    // checkSingleParameters: each protocol parameter at most once.
    let mut seen = HashSet::new();
    for (k, _) in &p.all {
        if k.starts_with("oauth_") && !seen.insert(k.as_str()) {
            return Err(Problem::rejected(k));
        }
    }
    if let Some(v) = p.get("oauth_version") {
        if v != "1.0" {
            return Err(
                Problem::new("version_rejected").with("oauth_acceptable_versions", "1.0-1.0")
            );
        }
    }
    p.require(&["oauth_timestamp", "oauth_nonce"])?;
    let ts: i64 = p
        .required("oauth_timestamp")?
        .parse()
        .map_err(|_| Problem::rejected("oauth_timestamp"))?;
    let (min, max) = window;
    if ts < min || ts > max {
        return Err(Problem::new("timestamp_refused")
            .with("oauth_acceptable_timestamps", format!("{min}-{max}")));
    }
    nonces.forget_before(min);
    if !nonces.record(ts, consumer_key, p.required("oauth_nonce")?) {
        return Err(Problem::new("nonce_used"));
    }
    p.require(&[
        "oauth_consumer_key",
        "oauth_signature_method",
        "oauth_signature",
    ])?;
    let method = p.required("oauth_signature_method")?;
    if method != RSA_SHA1 {
        return Err(Problem::new("signature_method_rejected")
            .with("oauth_acceptable_signature_methods", RSA_SHA1));
    }
    let signature = p.required("oauth_signature")?;
    let base = signature_base_string(&req.method, &req.url, &p.all).map_err(|e| {
        tracing::warn!(error = %e, "cannot build a base string from the request URL");
        Problem::new("signature_invalid")
    })?;
    let verified = base64::engine::general_purpose::STANDARD
        .decode(signature.as_bytes())
        .ok()
        .is_some_and(|sig| {
            let digest = Sha1::digest(base.as_bytes());
            public_key
                .verify(Pkcs1v15Sign::new::<Sha1>(), &digest, &sig)
                .is_ok()
        });
    if !verified {
        // net.oauth `OAuthSignatureMethod.validate` reports all three so the client can diff.
        return Err(Problem::new("signature_invalid")
            .with("oauth_signature", signature)
            .with("oauth_signature_base_string", base)
            .with("oauth_signature_method", method));
    }
    Ok(())
}
