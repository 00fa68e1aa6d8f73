//! Validation of what the user types into the wizard: base URL, consumer key and name, verifier.
//! Public so the headless `link` commands can check flags with the same rules.

/// The consumer name used when none is typed.
pub const DEFAULT_CONSUMER_NAME: &str = "jiralink";

/// Path segments that start Jira's own pages; a pasted page URL is cut there to get the base URL.
const JIRA_PAGE_PREFIXES: &[&str] = &[
    "/secure/",
    "/browse/",
    "/rest/",
    "/plugins/servlet/",
    "/projects/",
    "/issues/",
    "/login.jsp",
];

/// Normalise a Jira base URL: http/https with a host, no credentials, query or fragment; trailing
/// slashes stripped; the context path (`/jira`) kept; a pasted Jira page URL (`…/secure/Dashboard.jspa`)
/// cut back to its base.
pub fn normalize_base_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(
            "Enter the Jira base URL, e.g. https://jira.example.com or https://example.com/jira."
                .into(),
        );
    }
    let url = url::Url::parse(text).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => format!(
            "{text:?} has no scheme: write https://{text} (or http:// if Jira really has no TLS)."
        ),
        other => format!("{text:?} is not a valid URL: {other}."),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "The URL must start with https:// or http://, not {}://.",
            url.scheme()
        ));
    }
    let Some(host) = url.host_str() else {
        return Err("The URL has no host name.".into());
    };
    if host.is_empty() {
        return Err("The URL has no host name.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Remove the user name/password from the URL; jiralink never puts credentials in URLs."
                .into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("Remove the ?query or #fragment: the base URL is only scheme, host, port and context path.".into());
    }
    let mut path = url.path().to_string();
    for prefix in JIRA_PAGE_PREFIXES {
        if let Some(i) = path.find(prefix) {
            path.truncate(i);
        }
    }
    let path = path.trim_end_matches('/');
    let mut base = format!("{}://{}", url.scheme(), host_for_display(&url));
    if let Some(port) = url.port() {
        base.push_str(&format!(":{port}"));
    }
    base.push_str(path);
    Ok(base)
}

/// IPv6 hosts need their brackets back when rebuilding the URL.
fn host_for_display(url: &url::Url) -> String {
    match url.host() {
        Some(url::Host::Ipv6(a)) => format!("[{a}]"),
        Some(h) => h.to_string(),
        None => String::new(),
    }
}

/// `jiralink-<host>` for a normalised base URL (`jiralink` when it has no host).
pub fn default_consumer_key(base_url: &str) -> String {
    match url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
    {
        Some(host) => {
            let host = host
                .trim_matches(|c| c == '[' || c == ']')
                .replace(':', "-");
            format!("jiralink-{host}")
        }
        None => DEFAULT_CONSUMER_NAME.to_string(),
    }
}

/// A consumer key: non-empty, at most 255 characters, no whitespace or control characters (it
/// travels in every signed `Authorization` header and must match Jira's copy exactly).
pub fn validate_consumer_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("The consumer key must not be empty.".into());
    }
    if key.chars().any(char::is_whitespace) {
        return Err(format!(
            "The consumer key {key:?} contains spaces; use letters, digits, '-', '_' or '.'."
        ));
    }
    if key.chars().any(char::is_control) {
        return Err("The consumer key contains control characters.".into());
    }
    if key.chars().count() > 255 {
        return Err("The consumer key is longer than 255 characters.".into());
    }
    Ok(())
}

/// A consumer name: shown to users on Jira's "Allow access" page; non-empty, one line.
pub fn validate_consumer_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("The consumer name must not be empty.".into());
    }
    if name.chars().any(char::is_control) {
        return Err("The consumer name must be a single line without control characters.".into());
    }
    if name.chars().count() > 255 {
        return Err("The consumer name is longer than 255 characters.".into());
    }
    Ok(())
}

/// Trim a typed verifier; error when empty, warning unless it looks like Jira's 6-character code.
pub fn check_verifier(text: &str) -> Result<(String, Option<String>), String> {
    let v = text.trim();
    if v.is_empty() {
        return Err("Enter the verification code Jira showed after you clicked Allow.".into());
    }
    if v.chars().any(char::is_whitespace) {
        return Err("The verification code has no spaces; copy it again.".into());
    }
    let warning = if v.len() == 6 && v.chars().all(|c| c.is_ascii_alphanumeric()) {
        None
    } else {
        Some(format!(
            "Jira's verification codes are usually 6 letters and digits; {v:?} has {} characters. Check you copied the code, not the URL.",
            v.chars().count()
        ))
    };
    Ok((v.to_string(), warning))
}
