//! The demo's stand-in for the user's browser: it opens the authorize URL, follows Jira's
//! redirects, logs in on Jira's login form as the demo's integration user when Jira asks, and
//! clicks "Allow", over plain HTTP like a browser. OAuth 1.0a: it reads the verification code off
//! the page Jira shows then. OAuth 2.0: Jira redirects the browser to the link's Redirect URL
//! (which need not load), and that address-bar URL is what the user would paste back.
//!
//! It knows nothing of the simulator's internals: only the pages it serves, which follow Jira's
//! (`sim/oauth/pages.rs`, `sim/oauth2_routes.rs`, `sim/pages.rs`): `login.jsp` with
//! `os_username`/`os_password`/`os_destination` and the `JSESSIONID` cookie; the OAuth 1.0a
//! authorize page (a `login-link` for an anonymous browser, then a form with `oauth_token` and an
//! Allow submit) and its "verification code is '…'" page; the OAuth 2.0 authorize endpoint's
//! redirect to the consent page, which sends an anonymous browser to the login page, and whose
//! form's Allow button answers with the redirect to the application (RFC 6749 §4.1.2).

use crate::tui::effects::Browser;
use futures::future::BoxFuture;
use std::time::Duration;

/// Pages and redirects one approval may pass through before it is given up.
const MAX_HOPS: usize = 12;

/// Logs in as one user and approves whatever authorization it is sent to.
#[derive(Clone)]
pub struct ConsentBrowser {
    user: String,
    password: String,
}

impl std::fmt::Debug for ConsentBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentBrowser")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What one GET or form post answered.
enum Answer {
    /// A redirect to this (absolute) URL.
    Redirect(String),
    /// A page: its status and HTML.
    Page(reqwest::StatusCode, String),
}

impl ConsentBrowser {
    /// A browser that logs in as `user` with `password`.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }

    /// Open `authorize_url`, log in when asked, click Allow. OAuth 1.0a: the verification code
    /// shown. OAuth 2.0: the URL Jira sends the browser to (the Redirect URL with `code` and
    /// `state`, or with `error`).
    pub async fn approve_at(&self, authorize_url: &str) -> Result<String, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| format!("cannot start the browser: {e}"))?;
        let jira = origin(authorize_url)?;
        let mut session: Option<String> = None;
        let mut url = authorize_url.to_string();
        for _ in 0..MAX_HOPS {
            match fetch(http.get(&url), &url, session.as_deref()).await? {
                Answer::Redirect(next) if origin(&next)? != jira => {
                    // Jira sent the browser back to the application before any Allow (an error
                    // RFC 6749 §4.1.2.1 says to redirect): that address is the answer.
                    return Ok(next);
                }
                Answer::Redirect(next) if is_login(&next) => {
                    if session.is_some() {
                        return Err(format!(
                            "Jira asked to log in again after logging in as {}",
                            self.user
                        ));
                    }
                    // Seraph's login page; afterwards, back to the page that asked for it.
                    session = Some(self.log_in(&http, &next).await?);
                }
                Answer::Redirect(next) => url = next,
                Answer::Page(status, page) => {
                    if let (None, Some(login_link)) =
                        (&session, attr_of_id(&page, "login-link", "href"))
                    {
                        // Anonymous on the OAuth 1.0a authorize page: it links to the login page.
                        session = Some(self.log_in(&http, &login_link).await?);
                        continue;
                    }
                    let Some(form) = allow_form(&page) else {
                        return Err(format!(
                            "{status}: the page has no Allow button: {}",
                            gist(&page)
                        ));
                    };
                    return self.allow(&http, &form, &url, session.as_deref()).await;
                }
            }
        }
        Err(format!(
            "more than {MAX_HOPS} redirects from the authorize URL"
        ))
    }

    /// Submit the consent form with its Allow button; what the browser shows or is sent to.
    async fn allow(
        &self,
        http: &reqwest::Client,
        form: &Form,
        page_url: &str,
        session: Option<&str>,
    ) -> Result<String, String> {
        let action = join(page_url, &form.action)?;
        let req = http.post(&action).form(&form.fields);
        match fetch(req, &action, session).await? {
            // OAuth 2.0: the authorization response is a redirect to the client (RFC 6749 §4.1.2).
            Answer::Redirect(to) => Ok(to),
            Answer::Page(status, _) if !status.is_success() => {
                Err(format!("Allow was answered {status}"))
            }
            // OAuth 1.0a out of band: Jira shows the verification code.
            Answer::Page(_, body) => text_of_id(&body, "verifier")
                .ok_or_else(|| "the page after Allow shows no verification code".into()),
        }
    }

    /// Open the login page, post its form; the session cookie (`JSESSIONID=…`).
    async fn log_in(&self, http: &reqwest::Client, login_link: &str) -> Result<String, String> {
        let login_page = match fetch(http.get(login_link), login_link, None).await? {
            Answer::Page(_, page) => page,
            Answer::Redirect(to) => return Err(format!("the login page redirects to {to}")),
        };
        let action = attr_of_id(&login_page, "login-form", "action")
            .ok_or("the login page has no login form")?;
        let action = join(login_link, &action)?;
        // The destination the login page carries back, as Jira's form does.
        let destination = input_value(&login_page, "os_destination").unwrap_or_default();
        let answer = http
            .post(&action)
            .form(&[
                ("os_username", self.user.as_str()),
                ("os_password", self.password.as_str()),
                ("os_destination", destination.as_str()),
            ])
            .send()
            .await
            .map_err(|e| format!("POST {action}: {e}"))?;
        answer
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|c| c.trim_start().starts_with("JSESSIONID="))
            .map(|c| c.trim().to_string())
            .ok_or_else(|| format!("logging in as {} failed (no session cookie)", self.user))
    }
}

impl Browser for ConsentBrowser {
    fn approve(&self, authorize_url: String) -> BoxFuture<'static, Result<String, String>> {
        let me = self.clone();
        Box::pin(async move { me.approve_at(&authorize_url).await })
    }
}

/// Send `req` (with the session cookie, if any); a redirect (made absolute) or the page.
async fn fetch(
    mut req: reqwest::RequestBuilder,
    url: &str,
    cookie: Option<&str>,
) -> Result<Answer, String> {
    if let Some(c) = cookie {
        req = req.header(reqwest::header::COOKIE, c);
    }
    let answer = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = answer.status();
    if status.is_redirection() {
        let to = answer
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("{url}: {status} without a Location"))?;
        return Ok(Answer::Redirect(join(url, to)?));
    }
    let body = answer.text().await.map_err(|e| format!("{url}: {e}"))?;
    Ok(Answer::Page(status, body))
}

/// `href` resolved against `base`, as a browser resolves links and redirects.
fn join(base: &str, href: &str) -> Result<String, String> {
    url::Url::parse(base)
        .and_then(|b| b.join(href))
        .map(String::from)
        .map_err(|e| format!("bad URL {href}: {e}"))
}

/// Scheme, host and port of `u` (same origin = still on Jira).
fn origin(u: &str) -> Result<String, String> {
    url::Url::parse(u)
        .map(|u| u.origin().ascii_serialization())
        .map_err(|e| format!("bad URL {u}: {e}"))
}

/// Jira's login page (Seraph's `login.jsp`).
fn is_login(u: &str) -> bool {
    url::Url::parse(u).is_ok_and(|u| u.path().ends_with("/login.jsp"))
}

/// A form to submit: where, and its fields (hidden inputs and the pressed button).
#[derive(Debug, PartialEq, Eq)]
struct Form {
    action: String,
    fields: Vec<(String, String)>,
}

/// The form with a submit control labelled "Allow", as it would be submitted by clicking it:
/// its hidden inputs plus the button's own name and value.
fn allow_form(html: &str) -> Option<Form> {
    let mut rest = html;
    while let Some(at) = rest.find("<form") {
        let from = &rest[at..];
        let end = from.find("</form>").unwrap_or(from.len());
        let form = &from[..end];
        let open = &form[..form.find('>')? + 1];
        if let Some(button) = allow_button(form) {
            let mut fields: Vec<(String, String)> = tags(form, "<input")
                .filter(|t| attr_in(t, "type").is_some_and(|v| v.eq_ignore_ascii_case("hidden")))
                .filter_map(|t| {
                    Some((attr_in(t, "name")?, attr_in(t, "value").unwrap_or_default()))
                })
                .collect();
            fields.extend(button);
            return Some(Form {
                action: attr_in(open, "action").unwrap_or_default(),
                fields,
            });
        }
        rest = &from[end..];
    }
    None
}

/// The Allow submit control of one form: `<input type="submit" value="Allow">` or
/// `<button type="submit">Allow</button>`; its name and value (what clicking it sends), if named.
fn allow_button(form: &str) -> Option<Option<(String, String)>> {
    let named = |t: &str| Some((attr_in(t, "name")?, attr_in(t, "value").unwrap_or_default()));
    for t in tags(form, "<input") {
        let submit = attr_in(t, "type").is_some_and(|v| v.eq_ignore_ascii_case("submit"));
        if submit && attr_in(t, "value").is_some_and(|v| v.trim().eq_ignore_ascii_case("allow")) {
            return Some(named(t));
        }
    }
    let mut rest = form;
    while let Some(at) = rest.find("<button") {
        let from = &rest[at..];
        let open_end = from.find('>')? + 1;
        let label_end = from[open_end..].find("</button>")? + open_end;
        let label = &from[open_end..label_end];
        if label.trim().eq_ignore_ascii_case("allow") {
            return Some(named(&from[..open_end]));
        }
        rest = &from[label_end..];
    }
    None
}

/// The opening tags starting with `start` (`<input`) in `html`.
fn tags<'a>(html: &'a str, start: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    html.match_indices(start).filter_map(move |(at, _)| {
        let end = html[at..].find('>')?;
        Some(&html[at..=at + end])
    })
}

/// The page's heading and first words, tags dropped (for an error message).
fn gist(html: &str) -> String {
    let body = html.find("<body").map_or(html, |at| &html[at..]);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let gist = unescape(&words.join(" "));
    match gist.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &gist[..at]),
        None => gist,
    }
}

/// The opening tag of the element with `id="…"`.
fn tag_with_id<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    Some(&html[start..=end])
}

/// Attribute `attr` of the element with `id="…"`, HTML entities decoded.
fn attr_of_id(html: &str, id: &str, attr: &str) -> Option<String> {
    attr_in(tag_with_id(html, id)?, attr)
}

fn attr_in(tag: &str, attr: &str) -> Option<String> {
    let key = format!(" {attr}=\"");
    let from = tag.find(&key)? + key.len();
    let len = tag[from..].find('"')?;
    Some(unescape(&tag[from..from + len]))
}

/// The value of the `<input name="…">`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    attr_in(&html[start..=end], "value")
}

/// The text inside the element with `id="…"`.
fn text_of_id(html: &str, id: &str) -> Option<String> {
    let tag = tag_with_id(html, id)?;
    let from = html.find(tag)? + tag.len();
    let len = html[from..].find('<')?;
    Some(unescape(&html[from..from + len]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_forms_the_way_a_browser_would() {
        let page =
            "<form id=\"authorize-form\" method=\"post\" action=\"http://h/a?x=1&amp;y=2\">\n\
                    <input type=\"hidden\" name=\"oauth_token\" value=\"T&amp;1\">";
        assert_eq!(
            attr_of_id(page, "authorize-form", "action").as_deref(),
            Some("http://h/a?x=1&y=2")
        );
        assert_eq!(input_value(page, "oauth_token").as_deref(), Some("T&1"));
        let done = "code is '<span id=\"verifier\">abc</span>'";
        assert_eq!(text_of_id(done, "verifier").as_deref(), Some("abc"));
        assert_eq!(text_of_id(done, "nope"), None);
    }

    #[test]
    fn clicks_the_allow_button_of_either_consent_form() {
        // OAuth 1.0a: a submit input labelled Allow beside Deny.
        let o1 =
            "<form id=\"authorize-form\" method=\"post\" action=\"http://h/oauth/authorize\">\n\
                  <input type=\"hidden\" name=\"oauth_token\" value=\"T1\">\n\
                  <input type=\"submit\" id=\"approve\" name=\"approve\" value=\"Allow\">\n\
                  <input type=\"submit\" id=\"deny\" name=\"deny\" value=\"Deny\">\n</form>";
        let f = allow_form(o1).unwrap();
        assert_eq!(f.action, "http://h/oauth/authorize");
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            f.fields,
            pairs(&[("oauth_token", "T1"), ("approve", "Allow")])
        );
        // OAuth 2.0: buttons carrying the decision; the form without Allow (a search box) is
        // passed over.
        let o2 = "<form action=\"/search\"><input type=\"hidden\" name=\"q\" value=\"x\"></form>\n\
                  <form method=\"post\" action=\"/c/consent\">\n\
                  <input type=\"hidden\" name=\"request_id\" value=\"R&amp;9\">\n\
                  <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n\
                  <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n</form>";
        let f = allow_form(o2).unwrap();
        assert_eq!(f.action, "/c/consent");
        assert_eq!(
            f.fields,
            pairs(&[("request_id", "R&9"), ("decision", "allow")])
        );
        assert_eq!(
            allow_form("<form action=\"/x\"><button>Deny</button></form>"),
            None
        );
        assert_eq!(
            join("http://h:1/jira/rest/a?x=1", "/jira/login.jsp").unwrap(),
            "http://h:1/jira/login.jsp"
        );
        assert!(is_login("http://h/jira/login.jsp?os_destination=%2Fx"));
        assert_ne!(
            origin("https://jiralink.invalid/cb?code=1").unwrap(),
            origin("http://127.0.0.1:8/jira").unwrap()
        );
        assert_eq!(
            gist("<html><body><h1>OAuth 2.0 error</h1>\n<p>Unknown &amp; gone.</p></body>"),
            "OAuth 2.0 error Unknown & gone."
        );
    }
}
