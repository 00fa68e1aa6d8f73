//! What each wizard step shows: fields, notes, warnings, errors and busy state, built from `&Wizard`.
//! The TUI pane and the headless commands render this same view, so their texts never drift.

use super::{
    check_verifier, normalize_base_url, Field, KeyOp, LinkKind, O2Step, Pending, ProbeInfo, Step,
    Wizard,
};
use crate::jira::diagnose::{Code, Diagnosis};
use serde::Serialize;

/// Everything to show for the current step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepView {
    /// The step shown.
    pub step: Step,
    /// 1-based position and the number of steps, for "Step 2 of 6".
    pub number: usize,
    pub total: usize,
    /// The step's title.
    pub title: String,
    /// Labelled values, in display order.
    pub fields: Vec<Field>,
    /// Instructions and context.
    pub notes: Vec<String>,
    /// Things that work but are risky or likely wrong.
    pub warnings: Vec<String>,
    /// Why something failed, with the fix.
    pub errors: Vec<String>,
    /// The failure behind `errors`, when it came from Jira, for UIs that render diagnoses.
    pub diagnosis: Option<Diagnosis>,
    /// Set while an effect runs ("Probing https://…").
    pub busy: Option<String>,
    /// `Err(why)` when Next would be refused.
    pub can_advance: Result<(), String>,
}

pub(super) fn build(w: &Wizard) -> StepView {
    let mut v = StepView {
        step: w.step,
        number: w.step.number(),
        // Target is the first step of either path: count the steps of the kind chosen.
        total: match (w.step, w.link_kind()) {
            (Step::Target, LinkKind::OAuth2) => O2Step::TOTAL,
            _ => Step::ALL.len(),
        },
        title: w.step.title().to_string(),
        fields: Vec::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
        errors: Vec::new(),
        diagnosis: None,
        busy: None,
        can_advance: w.can_advance(),
    };
    if let Some(n) = &w.notice {
        v.notes.push(n.clone());
    }
    match w.step {
        Step::Target => target(w, &mut v),
        Step::Keys => keys(w, &mut v),
        Step::Register => register(w, &mut v),
        Step::Create => create(w, &mut v),
        Step::Authorize => authorize(w, &mut v),
        Step::Verify => verify(w, &mut v),
    }
    if let Some(e) = &w.error {
        push_once(&mut v.errors, e);
    }
    v
}

/// Add `e` unless it is already there: a refused Next repeats the step's own validation message.
pub(super) fn push_once(errors: &mut Vec<String>, e: &str) {
    if !errors.iter().any(|x| x == e) {
        errors.push(e.to_owned());
    }
}

fn show_failure(v: &mut StepView, d: &Diagnosis) {
    v.errors.push(d.to_string());
    v.diagnosis = Some(d.clone());
}

fn target(w: &Wizard, v: &mut StepView) {
    v.notes.push("Enter the address users open Jira at, including any context path (https://example.com/jira). jiralink then reads /rest/api/2/serverInfo, which needs no login.".into());
    match w.base_url() {
        Ok(base) => v
            .fields
            .push(Field::new("base_url", "Jira base URL", base.clone())),
        Err(e) => {
            v.fields
                .push(Field::new("base_url", "Jira base URL", w.url_text.clone()));
            if !w.url_text.is_empty() {
                v.errors.push(e);
            }
        }
    }
    match &w.probe {
        Pending::Idle => {}
        Pending::Running => v.busy = Some(format!("Probing {}", w.base_url().unwrap_or_default())),
        Pending::Failed(d) => show_failure(v, d),
        Pending::Done(info) => {
            let text = |o: &Option<String>| o.clone().unwrap_or_else(|| "(not reported)".into());
            v.fields
                .push(Field::new("version", "Jira version", text(&info.version)));
            v.fields.push(Field::new(
                "deployment_type",
                "Deployment",
                text(&info.deployment_type),
            ));
            v.fields.push(Field::new(
                "base_url_reported",
                "Jira's Base URL setting",
                text(&info.base_url_reported),
            ));
            if info.title.is_some() {
                v.fields
                    .push(Field::new("title", "Server title", text(&info.title)));
            }
            let kinds = w.offered_kinds();
            if w.chooses_kind() {
                v.fields
                    .push(Field::new("link_kind", "Link kind", w.link_kind().label()));
            }
            if w.chooses_kind() && kinds.len() > 1 {
                // "Configure an incoming link": since Jira 9, Create link → External application
                // makes an OAuth 2.0 link; OAuth 1.0a is deprecated but still supported.
                v.notes.push(format!(
                    "This Jira offers {} (default) and {}.",
                    kinds[0].label(),
                    kinds[1].label()
                ));
            }
            if let Ok(base) = w.base_url() {
                let https = base.starts_with("https://");
                v.fields.push(Field::new(
                    "transport",
                    "Transport",
                    if https { "HTTPS" } else { "plain HTTP" },
                ));
                v.warnings
                    .extend(probe_warnings(&base, info, w.link_kind()));
            }
        }
    }
}

/// Warnings about a probed server: plain HTTP, a Base URL setting that differs from the URL used,
/// Cloud, or a Jira too old for application links; worded for the kind of link being made.
pub(super) fn probe_warnings(base: &str, info: &ProbeInfo, kind: LinkKind) -> Vec<String> {
    let mut out = Vec::new();
    if base.starts_with("http://") {
        out.push(match kind {
            LinkKind::OAuth1 => "Plain HTTP: the access token, and everything Jira returns, cross the network unencrypted. OAuth 1.0a RSA-SHA1 signs requests but does not encrypt them. Use https:// if Jira has TLS.".into(),
            // RFC 6749 §3.2 and §10.3 (token endpoint and tokens need TLS), RFC 6750 §1.2 ("any
            // party in possession of a bearer token can use it") and §5.3 ("always use TLS").
            LinkKind::OAuth2 => "Plain HTTP: the client secret, the authorization code, the access and refresh tokens, and everything Jira returns, cross the network unencrypted; OAuth 2.0 bearer tokens are not signed, so anyone who sees one can use it. Use https:// if Jira has TLS.".into(),
        });
    }
    if let Some(reported) = &info.base_url_reported {
        match normalize_base_url(reported) {
            Ok(r) if !r.eq_ignore_ascii_case(base) => out.push(match kind {
                LinkKind::OAuth1 => format!(
                    "Jira's Base URL setting is {r}, but you connect to {base}. OAuth 1.0a signatures cover the scheme, host, port and path: if a proxy rewrites the URL between here and Jira, every signed request fails with signature_invalid. Connect with {r}, or have an admin correct the Base URL (⚙ → System → General configuration)."
                ),
                LinkKind::OAuth2 => format!(
                    "Jira's Base URL setting is {r}, but you connect to {base}. Jira builds the links on its pages from the Base URL, so the authorize page may send the browser to {r}. Connect with {r}, or have an admin correct the Base URL (⚙ → System → General configuration)."
                ),
            }),
            Ok(_) => {}
            Err(_) => out.push(format!(
                "Jira reports an unusable Base URL setting ({reported:?}); have an admin correct it under ⚙ → System → General configuration."
            )),
        }
    }
    if info.deployment_type.as_deref() == Some("Cloud") {
        let kind = match kind {
            LinkKind::OAuth1 => "OAuth 1.0a",
            LinkKind::OAuth2 => "OAuth 2.0",
        };
        out.push(format!("This is Atlassian Cloud. The wizard sets up {kind} incoming links for Jira Server/Data Center; for Cloud use an API token (auth = \"cloud-token\")."));
    }
    if let Some((major, minor, _)) = info.version_tuple {
        if major < 4 || (major == 4 && minor < 3) {
            out.push("Jira before 4.3 has no Application Links; the consumer is added under Administration → System → OAuth instead.".into());
        }
    }
    out
}

fn keys(w: &Wizard, v: &mut StepView) {
    v.notes.push("Generate a new RSA key pair, or use an existing private key (PKCS#8 or PKCS#1 PEM, not encrypted, mode 0600). The private key never leaves this machine; Jira only gets the public key.".into());
    let typed_key = w.consumer_key.trim().is_empty();
    let mut ck = Field::new("consumer_key", "Consumer key", w.consumer_key());
    if typed_key {
        ck = ck.note("default, derived from the Jira host; any unique value without spaces works");
    }
    v.fields.push(ck);
    v.fields.push(
        Field::new("consumer_name", "Consumer name", w.consumer_name())
            .note("shown to users on Jira's \"Allow access\" page"),
    );
    if let Err(e) = super::validate_consumer_key(&w.consumer_key()) {
        v.errors.push(e);
    }
    if let Err(e) = super::validate_consumer_name(&w.consumer_name()) {
        v.errors.push(e);
    }
    match &w.key_op {
        KeyOp::Generating(p) => {
            v.busy = Some(format!(
                "Generating a {}-bit RSA key at {}",
                w.bits,
                p.display()
            ))
        }
        KeyOp::Loading(p) => v.busy = Some(format!("Loading {}", p.display())),
        KeyOp::Failed(e) => {
            v.errors.push(e.clone());
            if let Some(k) = &w.key {
                v.warnings.push(format!(
                    "Still using the previous key {} ({}).",
                    k.path.display(),
                    k.fingerprint
                ));
            }
        }
        KeyOp::Idle => {}
    }
    match &w.key {
        Some(k) => {
            v.fields.push(Field::new(
                "private_key",
                "Private key file",
                k.path.display().to_string(),
            ));
            v.fields.push(Field::new(
                "key_bits",
                "Key size",
                format!("{} bits", k.bits),
            ));
            v.fields.push(Field::new(
                "fingerprint",
                "Fingerprint",
                k.fingerprint.clone(),
            ));
            v.fields.push(
                Field::new("public_key_pem", "Public key", k.public_key_pem.clone()).copyable(),
            );
            if k.bits < 2048 {
                v.warnings.push(format!(
                    "This key has only {} bits; 2048 or more is recommended.",
                    k.bits
                ));
            }
        }
        None => {
            v.fields.push(
                Field::new(
                    "private_key",
                    "Private key file",
                    w.key_path().display().to_string(),
                )
                .note("where a generated key will be written"),
            );
            v.fields.push(Field::new(
                "key_bits",
                "Key size",
                format!("{} bits", w.bits),
            ));
        }
    }
}

fn register(w: &Wizard, v: &mut StepView) {
    let menu = w.menu_path();
    let base = w.base_url().unwrap_or_else(|_| "<base URL>".into());
    v.notes.push(format!(
        "As a Jira administrator, go to {} (or open {}).",
        menu.menu_text(),
        menu.direct_url(&base)
    ));
    v.notes.extend(menu.steps.iter().cloned());
    v.notes.extend(menu.notes.iter().cloned());
    v.notes.push("Then press Next to let jiralink create the link through the REST API instead, or skip that step if you registered it by hand.".into());
    v.fields = w.register_fields();
}

fn create(w: &Wizard, v: &mut StepView) {
    v.notes.push("jiralink can create the link for you with the credentials of an admin connection from your config (a Jira system administrator). Nothing is sent until you confirm. These are the requests:".into());
    v.fields.push(
        Field::new(
            "admin",
            "Admin connection",
            w.admin.clone().unwrap_or_default(),
        )
        .note("a connection whose user is a Jira system administrator"),
    );
    match w.create_plan() {
        Ok(plan) => {
            let base = w.base_url().unwrap_or_default();
            for (i, r) in plan.requests.iter().enumerate() {
                let body = serde_json::to_string_pretty(&r.body).unwrap_or_default();
                v.fields.push(
                    Field::new(
                        if i == 0 {
                            "create_request"
                        } else {
                            "consumer_request"
                        },
                        &format!("{} {}{}", r.method, base, r.path),
                        body,
                    )
                    .note(r.purpose.clone()),
                );
            }
        }
        Err(e) => v.errors.push(e),
    }
    if w.admin.is_none() {
        v.warnings
            .push("Choose an admin connection before confirming.".into());
    }
    match &w.create {
        Pending::Running => v.busy = Some("Creating the application link".into()),
        Pending::Done(summary) => v.notes.push(format!("{summary} Press Next to authorize.")),
        Pending::Failed(d) => {
            show_failure(v, d);
            if matches!(d.code, Code::Forbidden | Code::AuthFailed) {
                v.errors.push("Creating application links needs a Jira system administrator; check the admin connection's user, or register the link by hand (skip this step).".into());
            }
        }
        Pending::Idle => {}
    }
}

fn authorize(w: &Wizard, v: &mut StepView) {
    v.notes.push("Open the authorize URL in a browser and log in as the user the integration should act as: it gets exactly that user's permissions. Click Allow, then enter the verification code Jira shows.".into());
    v.notes.push("The request token expires 10 minutes after it is issued; request a new one if you need longer.".into());
    match &w.request_token {
        Pending::Running => v.busy = Some("Requesting a request token from Jira".into()),
        Pending::Failed(d) => {
            show_failure(v, d);
            if let Some(h) = oauth_hint(w, d) {
                v.errors.push(h);
            }
        }
        Pending::Idle | Pending::Done(_) => {}
    }
    if let Some(url) = w.authorize_url() {
        v.fields
            .push(Field::new("authorize_url", "Authorize URL", url).copyable());
    }
    v.fields.push(Field::new(
        "verifier",
        "Verification code",
        w.verifier.trim().to_string(),
    ));
    if !w.verifier.trim().is_empty() {
        match check_verifier(&w.verifier) {
            Ok((_, Some(warn))) => v.warnings.push(warn),
            Ok((_, None)) => {}
            Err(e) => v.errors.push(e),
        }
    }
    match &w.access {
        Pending::Running => {
            v.busy = Some("Exchanging the verification code for an access token".into())
        }
        Pending::Failed(d) => {
            show_failure(v, d);
            if let Some(h) = oauth_hint(w, d) {
                v.errors.push(h);
            }
        }
        _ => {}
    }
}

/// Wizard-specific advice for OAuth failures, on top of the diagnosis' generic fix.
fn oauth_hint(w: &Wizard, d: &Diagnosis) -> Option<String> {
    let fp = w
        .key_info()
        .map(|k| k.fingerprint.clone())
        .unwrap_or_default();
    match d.code {
        Code::OauthCallbackSet => Some("Jira redirected to a callback instead of showing the verification code: edit the application link's incoming authentication and clear the Consumer Callback URL, then request a new token.".into()),
        Code::OauthConsumerUnknown => Some(format!(
            "Jira does not know the consumer key {:?}: check the incoming link's Consumer Key matches exactly (step 3) and that the link was saved.",
            w.consumer_key()
        )),
        Code::OauthSignatureInvalid => Some(format!(
            "Jira could not verify the signature: the Public Key in the incoming link must be the one with fingerprint {fp} (step 3), and the base URL must be Jira's own (step 1)."
        )),
        Code::OauthVerifierInvalid => Some("The verification code does not match this request token: copy the code shown after clicking Allow for the current authorize URL.".into()),
        _ => None,
    }
}

fn verify(w: &Wizard, v: &mut StepView) {
    match &w.verify {
        Pending::Running => v.busy = Some("Checking who the token acts as".into()),
        Pending::Done(info) => {
            let who = match &info.display_name {
                Some(d) => format!("{} ({d})", info.user),
                None => info.user.clone(),
            };
            v.fields.push(Field::new("acts_as", "Acts as", who));
            v.fields.push(Field::new(
                "project_count",
                "Visible projects",
                info.project_count.to_string(),
            ));
            if info.project_count == 0 {
                v.warnings.push(format!(
                    "{} can see no projects: the integration will find nothing. Grant Browse Projects through the permission schemes (jiralink audit explains why).",
                    info.user
                ));
            }
        }
        Pending::Failed(d) => show_failure(v, d),
        Pending::Idle => {}
    }
    v.fields
        .push(Field::new("consumer_key", "Consumer key", w.consumer_key()));
    if let Some(k) = w.key_info() {
        v.fields.push(Field::new(
            "private_key",
            "Private key file",
            k.path.display().to_string(),
        ));
    }
    if let Some(a) = w.access() {
        v.fields.push(Field::new(
            "access_token",
            "Access token",
            "(hidden; included in the export)",
        ));
        if let Some(exp) = &a.expires_at {
            v.fields
                .push(Field::new("token_expires_at", "Token expires", exp.clone()));
        }
    }
    v.notes.push("Export the credentials as TOML (a jiralink [[connection]]), JSON or env lines. The export contains the access token: it is written with mode 0600.".into());
    match &w.export {
        Pending::Running => v.busy = Some("Writing the export".into()),
        Pending::Done(p) => v.notes.push(format!("Exported to {}.", p.display())),
        Pending::Failed(d) => show_failure(v, d),
        Pending::Idle => {}
    }
}
