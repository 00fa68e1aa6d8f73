//! The link wizard's effect driver: runs each [`wizard::WizardEffect`] with the real client, keys and
//! config, and hands the result back as a [`wizard::Input`]. Front-end neutral: the headless
//! `jiralink link …` commands use it now, the TUI wizard pane can spawn [`run_effect`] as a task.

mod export;
mod oauth2_flow;
mod oauth2_store;
mod store;

/// How to reach the Jira being linked (its connection's TLS, proxy and timeout settings).
pub use crate::connect::Transport;
pub use export::export_connection;
pub use oauth2_flow::{run_oauth2_effect, save_oauth2_link};
pub use oauth2_store::{
    clear_pending_authorization, export_oauth2, load_pending_authorization, oauth2_session_for,
    save_client_credentials, save_oauth2_link_with, save_oauth2_tokens, save_oauth2_tokens_with,
    save_pending_authorization, PendingAuthorization, SavedOAuth2,
};
pub use store::token_dir;
pub use store::{
    clear_pending_request_token, load_pending_request_token, save_access_token,
    save_access_token_with, save_linked, save_linked_with, save_pending_request_token, SavedToken,
};

use crate::config::{Config, Connection, Defaults};
use crate::jira::diagnose::{Code, Diagnosis};
use crate::jira::oauth_dance;
use crate::jira::{applinks, Auth, JiraClient, OAuth1Auth};
use crate::paths::Paths;
use crate::wizard::{
    self, AccessInfo, Input, KeyInfo, ProbeInfo, RequestTokenInfo, VerifyInfo, Wizard, WizardEffect,
};
use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything the driver needs besides the wizard: where files go, the config (for admin
/// connections), how to reach the target, and optionally a request token to resume.
#[derive(Debug, Clone)]
pub struct LinkContext {
    /// Config, data and state locations.
    pub paths: Paths,
    /// The loaded config; admin connections for [`WizardEffect::CreateLink`] come from here.
    pub config: Config,
    /// TLS/proxy/timeout for the Jira being linked.
    pub transport: Transport,
    /// When set, [`WizardEffect::RequestToken`] answers with this token instead of asking Jira for a
    /// new one, so a dance started earlier (and approved in the browser since) can finish.
    pub resume_request_token: Option<RequestTokenInfo>,
    /// For [`WizardEffect::CreateLink`]: when a link already holds the consumer key with another
    /// public key, update that consumer (`link create --replace`) instead of refusing.
    pub replace_link: bool,
}

impl LinkContext {
    /// A context with default transport settings and nothing to resume.
    pub fn new(paths: Paths, config: Config) -> Self {
        Self {
            paths,
            config,
            transport: Transport::default(),
            resume_request_token: None,
            replace_link: false,
        }
    }

    fn defaults(&self) -> &Defaults {
        &self.config.defaults
    }

    /// A client for `base_url` with `auth` and this context's transport settings.
    pub fn client(&self, base_url: &str, auth: Auth) -> Result<JiraClient, Diagnosis> {
        crate::connect::client(base_url, auth, &self.transport, self.defaults())
    }

    /// A client signing as the OAuth consumer `consumer_key` with the key at `private_key`,
    /// optionally with an access token.
    pub async fn oauth_client(
        &self,
        base_url: &str,
        consumer_key: &str,
        private_key: &Path,
        token: Option<crate::jira::OAuthToken>,
    ) -> Result<JiraClient, Diagnosis> {
        let key = load_key(private_key).await.map_err(|e| key_diagnosis(&e))?;
        self.client(
            base_url,
            Auth::OAuth1(OAuth1Auth {
                consumer_key: consumer_key.to_string(),
                private_key: Arc::new(key),
                token,
            }),
        )
    }
}

/// Load a private key on the blocking pool (file I/O and PEM parsing stay off the event loop).
async fn load_key(path: &Path) -> Result<rsa::RsaPrivateKey, String> {
    let p = crate::paths::expand_tilde(path);
    tokio::task::spawn_blocking(move || crate::keys::load_private_key(&p))
        .await
        .map_err(|e| format!("loading the key failed: {e}"))?
        .map_err(|e| e.to_string())
}

fn key_diagnosis(message: &str) -> Diagnosis {
    Diagnosis::error(
        Code::KeyError,
        "The private key cannot be used",
        message.to_string(),
        "Fix the key file as described, or generate a new key with `jiralink link keygen`.",
    )
}

/// Run one effect for a front end that has only a config file and a data dir (the TUI): the
/// config is read first (admin connections for [`WizardEffect::CreateLink`] come from it) and the
/// target is reached with the transport of the connection being linked, if it exists. Every
/// failure, an unreadable config included, is inside the returned input.
pub async fn run_effect_in(
    config_path: PathBuf,
    data_dir: PathBuf,
    w: &Wizard,
    effect: WizardEffect,
) -> Input {
    let path = config_path.clone();
    let config = tokio::task::spawn_blocking(move || Config::load_or_default(&path))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let config = match config {
        Ok(c) => c,
        Err(e) => return unstarted(effect, e),
    };
    let paths = Paths {
        config_file: config_path,
        state_dir: data_dir.clone(),
        log_file: data_dir.join(crate::paths::LOG_FILE_NAME),
        data_dir,
    };
    // Reach Jira the way the connection being linked is configured (CA file, proxy, timeout).
    let transport = config
        .connection(&w.connection_name())
        .map(Transport::from_connection)
        .unwrap_or_default();
    let mut ctx = LinkContext::new(paths, config);
    ctx.transport = transport;
    run_effect(&ctx, w, effect).await
}

/// The input reporting that `effect` could not even start (the config is unreadable).
fn unstarted(effect: WizardEffect, message: String) -> Input {
    let d = Diagnosis::error(
        Code::ConfigError,
        "The config could not be read",
        message.clone(),
        "Fix the config file (see the Connections pane), then try again.",
    );
    match effect {
        WizardEffect::Probe { .. } => Input::ProbeResult(Err(d)),
        WizardEffect::GenerateKey { .. } | WizardEffect::LoadKey { .. } => {
            Input::KeyReady(Err(message))
        }
        WizardEffect::CreateLink { .. } => Input::CreateResult(Err(d)),
        WizardEffect::RequestToken { .. } => Input::RequestTokenResult(Err(d)),
        WizardEffect::ExchangeVerifier { .. } => Input::AccessTokenResult(Err(d)),
        WizardEffect::Verify { .. } => Input::VerifyResult(Err(d)),
        WizardEffect::Export { .. } => Input::ExportResult(Err(message)),
        WizardEffect::OAuth2(e) => Input::OAuth2(e.failed(d)),
    }
}

/// Store a pasted PEM private key at `path` (PKCS#8, 0600, never over an existing file); returns
/// the path, ready for the wizard's "use existing key". Blocking.
pub fn import_key_pem(path: &Path, pem: &secrecy::SecretString) -> Result<PathBuf, String> {
    let key =
        crate::keys::import_private_key_pem(pem.expose_secret()).map_err(|e| e.to_string())?;
    crate::keys::write_private_key(path, &key, false).map_err(|e| e.to_string())?;
    Ok(path.to_path_buf())
}

/// Run one effect and return the input that reports its result. Never panics and never fails:
/// every failure is inside the returned input.
pub async fn run_effect(ctx: &LinkContext, w: &Wizard, effect: WizardEffect) -> Input {
    match effect {
        WizardEffect::Probe { url } => Input::ProbeResult(probe(ctx, &url).await),
        WizardEffect::GenerateKey {
            bits,
            path,
            overwrite,
        } => Input::KeyReady(generate_key(bits, &path, overwrite).await),
        WizardEffect::LoadKey { path } => Input::KeyReady(
            load_key(&path)
                .await
                .map(|k| KeyInfo::from_public_key(&path, &k.to_public_key())),
        ),
        WizardEffect::CreateLink { admin, plan } => Input::CreateResult(
            create(ctx, &admin, &plan)
                .await
                .map(|c| c.summary(&w.consumer_key())),
        ),
        WizardEffect::RequestToken {
            base_url,
            consumer_key,
            private_key,
        } => Input::RequestTokenResult(match &ctx.resume_request_token {
            Some(t) => Ok(t.clone()),
            None => request_token(ctx, &base_url, &consumer_key, &private_key).await,
        }),
        WizardEffect::ExchangeVerifier {
            base_url,
            consumer_key,
            private_key,
            request_token,
            verifier,
        } => Input::AccessTokenResult(
            exchange(
                ctx,
                &base_url,
                &consumer_key,
                &private_key,
                &request_token,
                &verifier,
            )
            .await,
        ),
        WizardEffect::Verify {
            base_url,
            consumer_key,
            private_key,
        } => Input::VerifyResult(verify(ctx, w, &base_url, &consumer_key, &private_key).await),
        WizardEffect::Export { format, path } => Input::ExportResult(
            w.export(format)
                .and_then(|text| {
                    crate::paths::write_secret_file(&path, text.expose_secret().as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))
                })
                .map(|()| path),
        ),
        WizardEffect::OAuth2(e) => match w.oauth2() {
            Some(flow) => Input::OAuth2(run_oauth2_effect(ctx, flow, e).await),
            None => Input::OAuth2(e.failed(Diagnosis::error(
                Code::Other,
                "The wizard is not on the OAuth 2.0 path",
                "An OAuth 2.0 step was asked for while the wizard makes an OAuth 1.0a link.",
                "Choose OAuth 2.0 on the first step.",
            ))),
        },
    }
}

async fn probe(ctx: &LinkContext, url: &str) -> Result<ProbeInfo, Diagnosis> {
    let client = ctx.client(url, Auth::None)?;
    let info = client.server_info().await.map_err(|e| e.diagnose())?;
    Ok(ProbeInfo::from_server_info(&info))
}

async fn generate_key(bits: usize, path: &Path, overwrite: bool) -> Result<KeyInfo, String> {
    let key = crate::keys::generate_async(bits)
        .await
        .map_err(|e| e.to_string())?;
    let (p, k) = (path.to_path_buf(), key.clone());
    tokio::task::spawn_blocking(move || crate::keys::write_private_key(&p, &k, overwrite))
        .await
        .map_err(|e| format!("writing the key failed: {e}"))?
        .map_err(|e| e.to_string())?;
    Ok(KeyInfo::from_public_key(path, &key.to_public_key()))
}

async fn create(
    ctx: &LinkContext,
    admin: &str,
    plan: &wizard::CreatePlan,
) -> Result<applinks::CreatedLink, Diagnosis> {
    let conn = ctx
        .config
        .require_connection(admin)
        .map_err(|e| e.diagnosis())?;
    // The admin connection's own URL and TLS settings are used as configured: its credentials
    // must never travel to a URL the user did not configure them for.
    let admin_client = crate::connect::client_for(conn, ctx.defaults())
        .await
        .map_err(crate::connect::ConnectError::into_diagnosis)?;
    let created = applinks::create_link(&admin_client, plan, ctx.replace_link).await?;
    tracing::info!(link_id = %created.id(), admin, outcome = ?created, "application link created or found");
    Ok(created)
}

async fn request_token(
    ctx: &LinkContext,
    base_url: &str,
    consumer_key: &str,
    private_key: &Path,
) -> Result<RequestTokenInfo, Diagnosis> {
    let client = ctx
        .oauth_client(base_url, consumer_key, private_key, None)
        .await?;
    let t = oauth_dance::request_token(&client).await?;
    Ok(RequestTokenInfo { token: t.token })
}

async fn exchange(
    ctx: &LinkContext,
    base_url: &str,
    consumer_key: &str,
    private_key: &Path,
    request_token: &str,
    verifier: &str,
) -> Result<AccessInfo, Diagnosis> {
    let client = ctx
        .oauth_client(base_url, consumer_key, private_key, None)
        .await?;
    let t = oauth_dance::access_token(&client, request_token, verifier).await?;
    Ok(AccessInfo {
        expires_at: t.expires_at_rfc3339(),
        token: t.token,
        secret: t.secret,
    })
}

async fn verify(
    ctx: &LinkContext,
    w: &Wizard,
    base_url: &str,
    consumer_key: &str,
    private_key: &Path,
) -> Result<VerifyInfo, Diagnosis> {
    let access = w.access().ok_or_else(|| {
        Diagnosis::error(
            Code::Other,
            "There is no access token to verify",
            "The Authorize step has not finished.",
            "Finish the Authorize step first.",
        )
    })?;
    let token = crate::jira::OAuthToken {
        token: access.token.clone(),
        secret: access.secret.clone(),
    };
    let client = ctx
        .oauth_client(base_url, consumer_key, private_key, Some(token))
        .await?;
    let me = client.myself().await.map_err(|e| e.diagnose())?;
    let projects = client.projects().await.map_err(|e| e.diagnose())?;
    Ok(VerifyInfo {
        user: me.login().to_string(),
        display_name: me.display_name.clone(),
        project_count: projects.len(),
    })
}

/// The failure an effect's result reports, as a diagnosis (key and export errors included).
pub fn failure_of(input: &Input) -> Option<Diagnosis> {
    match input {
        Input::ProbeResult(Err(d))
        | Input::CreateResult(Err(d))
        | Input::RequestTokenResult(Err(d))
        | Input::AccessTokenResult(Err(d))
        | Input::VerifyResult(Err(d)) => Some(d.clone()),
        Input::KeyReady(Err(e)) => Some(key_diagnosis(e)),
        Input::ExportResult(Err(e)) => Some(Diagnosis::error(
            Code::Other,
            "The export could not be written",
            e.clone(),
            "Choose a writable path.",
        )),
        _ => None,
    }
}

/// Why [`drive`] stopped before the wizard ran out of work.
#[derive(Debug, Clone)]
pub enum Stop {
    /// The wizard refused an input (the text says why and what to do).
    Refused(String),
    /// An effect failed; the wizard has recorded the failure too. Effects the wizard scheduled
    /// in reaction (a fresh request token after an expired one) were not run: a front end that
    /// wants them calls [`run_effect`] itself.
    Failed(Diagnosis),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Refused(why) => f.write_str(why),
            Stop::Failed(d) => write!(f, "{d}"),
        }
    }
}

/// Apply `input` and run every effect it leads to, one after the other, until the wizard waits
/// for the user. `before_apply` sees each successful result before the wizard does (the CLI
/// saves the access token there, before verification runs) and can stop the run.
pub async fn drive(
    ctx: &LinkContext,
    w: &mut Wizard,
    input: Input,
    before_apply: &mut (dyn FnMut(&Wizard, &Input) -> Result<(), Diagnosis> + Send),
) -> Result<(), Stop> {
    let mut queue: std::collections::VecDeque<WizardEffect> = w.apply(input).into();
    if let Some(e) = w.error() {
        return Err(Stop::Refused(e.to_string()));
    }
    while let Some(effect) = queue.pop_front() {
        let result = run_effect(ctx, w, effect).await;
        if let Some(d) = failure_of(&result) {
            // Record it in the wizard (its view shows it) but do not run what it schedules next
            // (e.g. a fresh request token after an expired one): the caller decides.
            w.apply(result);
            return Err(Stop::Failed(d));
        }
        before_apply(w, &result).map_err(Stop::Failed)?;
        queue.extend(w.apply(result));
        if let Some(e) = w.error() {
            return Err(Stop::Refused(e.to_string()));
        }
    }
    Ok(())
}

/// A fresh wizard for the configured OAuth connection `conn`: URL, consumer, connection name and
/// its private key loaded. Refuses connections that are not `auth = "oauth1"`.
pub async fn wizard_for_connection(ctx: &LinkContext, conn: &Connection) -> Result<Wizard, Stop> {
    if conn.auth != crate::config::AuthKind::Oauth1 {
        return Err(Stop::Refused(format!(
            "connection \"{}\" uses auth = \"{}\"; `jiralink link` needs an OAuth 1.0a connection (create one with `jiralink link new NAME --url URL`)",
            conn.name,
            conn.auth.as_str()
        )));
    }
    let key = conn.private_key.as_deref().ok_or_else(|| {
        Stop::Refused(format!(
            "connection \"{}\" has no private_key; generate one with `jiralink link keygen {}`",
            conn.name, conn.name
        ))
    })?;
    let mut w = Wizard::new(&ctx.paths.data_dir);
    let mut nothing = |_: &Wizard, _: &Input| Ok(());
    for input in [
        Input::SetUrl(conn.url.clone()),
        Input::SetConsumerKey(conn.consumer_key.clone().unwrap_or_default()),
        Input::SetConsumerName(conn.consumer_name.clone().unwrap_or_default()),
        Input::SetConnectionName(conn.name.clone()),
        Input::UseExistingKey(crate::paths::expand_tilde(key)),
    ] {
        drive(ctx, &mut w, input, &mut nothing).await?;
    }
    Ok(w)
}

/// Probe the server and walk the wizard from Target to `target` (Register, Create or Authorize,
/// by hand-registration for Authorize). Stops on the first refusal or failure.
pub async fn advance_to(
    ctx: &LinkContext,
    w: &mut Wizard,
    target: wizard::Step,
) -> Result<(), Stop> {
    let mut nothing = |_: &Wizard, _: &Input| Ok(());
    while w.step() < target {
        let input = if w.step() == wizard::Step::Register && target == wizard::Step::Authorize {
            Input::SkipCreate
        } else {
            Input::Next
        };
        let before = (w.step(), w.probe_info().is_some());
        drive(ctx, w, input, &mut nothing).await?;
        // Next on Target first probes (the probe result counts as progress); an input that
        // changes nothing would loop forever.
        if (w.step(), w.probe_info().is_some()) == before {
            return Err(Stop::Refused(
                w.can_advance()
                    .err()
                    .unwrap_or_else(|| "the wizard did not move on".into()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_found_in_results() {
        let d = Diagnosis::error(Code::OauthTokenExpired, "s", "d", "f");
        assert_eq!(
            failure_of(&Input::AccessTokenResult(Err(d.clone()))).map(|d| d.code),
            Some(Code::OauthTokenExpired)
        );
        assert_eq!(
            failure_of(&Input::KeyReady(Err("mode 644".into()))).map(|d| d.code),
            Some(Code::KeyError)
        );
        assert!(failure_of(&Input::Next).is_none());
        assert!(failure_of(&Input::ExportResult(Ok(PathBuf::from("/x")))).is_none());
    }
}
