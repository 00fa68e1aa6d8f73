//! The HTML pages of the simulated OAuth authorize flow: log-in prompt, Allow/Deny, "Access
//! Approved" (with the verification code, worded as Jira words it for `oob` consumers),
//! "Access Denied" and the error page for bad tokens.
//!
//! Sources: the redirect to a consumer's callback is RFC 5849 §2.2 (302 to the callback with
//! `oauth_token` and `oauth_verifier` added); an `oob` consumer gets a page showing the verifier
//! instead (RFC 5849 §2.2, "out-of-band"). Pages are 200 `text/html;charset=UTF-8` like Jira's
//! other pages (`reply::HTML`); the bad-token page is 400. Page wording, the 400 and the
//! `login.jsp?permissionViolation=true&os_destination=…` link (Seraph's form for a page that needs
//! a login) are the simulator's rendering, *unconfirmed* against a capture: clients and tests
//! read element ids and the verifier, never prose.

use super::base_string::percent_encode;
use super::HttpReply;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A complete HTML reply.
fn html(status: u16, title: &str, body: &str) -> HttpReply {
    HttpReply {
        status,
        content_type: "text/html;charset=UTF-8".to_string(),
        headers: Vec::new(),
        body: format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title></head>\n\
             <body><h1>{t}</h1>\n{body}\n</body></html>\n",
            t = escape(title)
        ),
    }
}

/// The base URL without a trailing slash, so `{base}/plugins/…` never doubles it.
fn trim_base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// Jira sends anonymous users to its login page with the authorize URL as `os_destination`.
pub fn login_required(base_url: &str, token: &str) -> HttpReply {
    let destination = format!(
        "/plugins/servlet/oauth/authorize?oauth_token={}",
        percent_encode(token)
    );
    let login = format!(
        "{}/login.jsp?permissionViolation=true&os_destination={}",
        trim_base(base_url),
        percent_encode(&destination)
    );
    html(
        200,
        "Log in",
        &format!(
            "<p>You must log in to authorize access to your account.</p>\n\
             <p><a id=\"login-link\" href=\"{}\">Log in</a></p>",
            escape(&login)
        ),
    )
}

/// The Allow / Deny page for a pending request token.
pub fn authorize(base_url: &str, token: &str, consumer_name: &str, username: &str) -> HttpReply {
    let action = format!("{}/plugins/servlet/oauth/authorize", trim_base(base_url));
    html(
        200,
        "Allow access?",
        &format!(
            "<p>Hi <span id=\"username\">{user}</span>,</p>\n\
             <p><strong id=\"consumer-name\">{consumer}</strong> is requesting access to your \
             Jira account. It will be able to read and write data in Jira as you.</p>\n\
             <form id=\"authorize-form\" method=\"post\" action=\"{action}\">\n\
             <input type=\"hidden\" name=\"oauth_token\" value=\"{token}\">\n\
             <input type=\"submit\" id=\"approve\" name=\"approve\" value=\"Allow\">\n\
             <input type=\"submit\" id=\"deny\" name=\"deny\" value=\"Deny\">\n\
             </form>",
            user = escape(username),
            consumer = escape(consumer_name),
            action = escape(&action),
            token = escape(token),
        ),
    )
}

/// "Access Approved" with the out-of-band verification code.
pub fn approved(consumer_name: &str, verifier: &str) -> HttpReply {
    html(
        200,
        "Access Approved",
        &format!(
            "<p>You have successfully authorized '{consumer}'. Your verification code is \
             '<span id=\"verifier\">{verifier}</span>'. You will need to enter this exact text when \
             prompted. You should write this value down before closing the browser window.</p>",
            consumer = escape(consumer_name),
            verifier = escape(verifier),
        ),
    )
}

/// "Access Denied".
pub fn denied(consumer_name: &str) -> HttpReply {
    html(
        200,
        "Access Denied",
        &format!(
            "<p>You have denied '{}' access to your account.</p>",
            escape(consumer_name)
        ),
    )
}

/// A 302 to the consumer's callback with `oauth_token` and `oauth_verifier` appended.
pub fn redirect(callback: &str, token: &str, verifier: &str) -> HttpReply {
    let sep = if callback.contains('?') { '&' } else { '?' };
    let location = format!(
        "{callback}{sep}oauth_token={}&oauth_verifier={}",
        percent_encode(token),
        percent_encode(verifier)
    );
    HttpReply {
        status: 302,
        content_type: "text/html;charset=UTF-8".to_string(),
        headers: vec![("Location".to_string(), location)],
        body: String::new(),
    }
}

/// The page for a token that cannot be authorized (unknown, expired, already used).
pub fn token_error(problem: &str) -> HttpReply {
    let why = match problem {
        "token_expired" => "The request token has expired. Start the authorization again.",
        "permission_denied" => "Access was already denied for this request token.",
        _ => "The request token is invalid or has already been used.",
    };
    html(
        400,
        "OAuth Error",
        &format!(
            "<p>{}</p>\n<p>oauth_problem=<span id=\"oauth-problem\">{}</span></p>",
            escape(why),
            escape(problem)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn redirect_appends_to_existing_query() {
        let r = redirect("https://app.example/cb?x=1", "t k", "v");
        assert_eq!(r.status, 302);
        assert_eq!(
            r.headers[0].1,
            "https://app.example/cb?x=1&oauth_token=t%20k&oauth_verifier=v"
        );
    }
}
