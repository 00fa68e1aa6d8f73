//! The demo's stand-in for the user's browser: it opens the authorize URL, follows the login link
//! to Jira's login form, logs in as the demo's integration user, and clicks "Allow" on the consent
//! page, over plain HTTP like a browser, then reads the verification code off the page. It knows
//! nothing of the simulator's internals: only the pages it serves (`sim/oauth_pages.rs`,
//! `sim/pages.rs`), which follow Jira's (`login.jsp` with `os_username`/`os_password`/
//! `os_destination`, the `JSESSIONID` cookie, the OAuth authorize form with `oauth_token` and
//! `approve=Allow`, the "verification code is '…'" page).

use crate::tui::effects::Browser;
use futures::future::BoxFuture;
use std::time::Duration;

/// Logs in as one user and approves whatever request token it is sent to.
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

impl ConsentBrowser {
    /// A browser that logs in as `user` with `password`.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }

    /// Open `authorize_url`, log in when asked, click Allow; the verification code shown.
    pub async fn approve_at(&self, authorize_url: &str) -> Result<String, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| format!("cannot start the browser: {e}"))?;
        let page = get(&http, authorize_url, None).await?;
        let session = match attr_of_id(&page, "login-link", "href") {
            // Anonymous: Jira sends the browser to its login page first.
            Some(login_link) => Some(self.log_in(&http, &login_link).await?),
            None => None,
        };
        let page = match &session {
            Some(cookie) => get(&http, authorize_url, Some(cookie)).await?,
            None => page,
        };
        let action = attr_of_id(&page, "authorize-form", "action")
            .ok_or("the authorize page has no Allow form (is the request token still valid?)")?;
        let token =
            input_value(&page, "oauth_token").ok_or("the authorize form carries no oauth_token")?;
        let mut req = http
            .post(&action)
            .form(&[("oauth_token", token.as_str()), ("approve", "Allow")]);
        if let Some(cookie) = &session {
            req = req.header(reqwest::header::COOKIE, cookie);
        }
        let answer = req
            .send()
            .await
            .map_err(|e| format!("POST {action}: {e}"))?;
        let status = answer.status();
        let body = answer.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("Allow was answered {status}"));
        }
        text_of_id(&body, "verifier")
            .ok_or_else(|| "the page after Allow shows no verification code".into())
    }

    /// Follow the login link, post the login form; the session cookie (`JSESSIONID=…`).
    async fn log_in(&self, http: &reqwest::Client, login_link: &str) -> Result<String, String> {
        let login_page = get(http, login_link, None).await?;
        let action = attr_of_id(&login_page, "login-form", "action")
            .ok_or("the login page has no login form")?;
        // The destination the login link names, as Jira's form carries it back.
        let destination = url::Url::parse(login_link)
            .ok()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "os_destination")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
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

async fn get(http: &reqwest::Client, url: &str, cookie: Option<&str>) -> Result<String, String> {
    let mut req = http.get(url);
    if let Some(c) = cookie {
        req = req.header(reqwest::header::COOKIE, c);
    }
    let answer = req.send().await.map_err(|e| format!("GET {url}: {e}"))?;
    answer.text().await.map_err(|e| format!("GET {url}: {e}"))
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
}
