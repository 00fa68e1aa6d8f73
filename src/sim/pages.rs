//! HTML pages the simulator serves: Jira's login page, a SAML IdP page, error pages and the
//! generic web server page of the not-Jira scenario.

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Jira's login page (`/login.jsp`), optionally with an error and the CAPTCHA notice.
pub fn login_page(base: &str, error: Option<&str>, captcha: bool) -> String {
    login_page_to(base, error, captcha, "")
}

/// [`login_page`] that returns to `destination` (a path under the base URL) after logging in, as
/// Jira's `login.jsp?os_destination=…` does (its login form carries `os_destination` through;
/// the OAuth authorize page sends anonymous users there, see `oauth_pages::login_required`).
pub fn login_page_to(base: &str, error: Option<&str>, captcha: bool, destination: &str) -> String {
    let error = error
        .map(|e| {
            format!(
                "<div class=\"aui-message error\" id=\"login-form-error\">{}</div>",
                esc(e)
            )
        })
        .unwrap_or_default();
    let captcha = if captcha {
        "<div class=\"field-group\" id=\"captcha\"><label for=\"os_captcha\">Please enter the word as shown below</label><input type=\"text\" name=\"os_captcha\" id=\"os_captcha\"></div>"
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Log in - Jira</title>\n\
<meta name=\"application-name\" content=\"JIRA\" data-name=\"jira\">\n<meta name=\"ajs-base-url\" content=\"{base}\">\n</head>\n\
<body id=\"jira\" class=\"aui-layout aui-theme-default page-type-login\">\n<div id=\"page\"><main role=\"main\" id=\"main\">\n\
<h1>Log in</h1>\n{error}\n<form action=\"{base}/login.jsp\" class=\"aui\" id=\"login-form\" method=\"post\">\n\
<div class=\"field-group\"><label for=\"login-form-username\">Username</label><input class=\"text medium-field\" id=\"login-form-username\" name=\"os_username\" type=\"text\"></div>\n\
<div class=\"field-group\"><label for=\"login-form-password\">Password</label><input class=\"text medium-field\" id=\"login-form-password\" name=\"os_password\" type=\"password\"></div>\n\
{captcha}\n<input type=\"hidden\" name=\"os_destination\" value=\"{destination}\">\n<input class=\"aui-button aui-button-primary\" id=\"login-form-submit\" name=\"login\" type=\"submit\" value=\"Log In\">\n\
</form>\n</main></div>\n</body>\n</html>\n",
        base = esc(base),
        destination = esc(destination),
    )
}

/// The page a SAML identity provider shows (the `sso-redirect` scenario's IdP; not Jira's page,
/// so its shape only has to look like a login form to a client that got redirected).
pub fn idp_page(relay_state: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sign in - Example Identity Provider</title></head>\n\
<body><h1>Sign in to continue to Jira</h1>\n<form method=\"post\" action=\"/idp/saml/login\">\
<input type=\"hidden\" name=\"RelayState\" value=\"{}\"><label>Email <input name=\"username\"></label>\
<label>Password <input type=\"password\" name=\"password\"></label><button>Sign in</button></form></body></html>\n",
        esc(relay_state)
    )
}

/// Seraph's page for a failed Basic login on REST (as captured by OBSS, "Basic Authentication
/// Failure - Reason : AUTHENTICATED_FAILED": dev.obss.com.tr/confluence/display/MD/TiS+v4.36+-+Authorization;
/// the "Unauthorized (401)" heading and "Encountered a "401 - Unauthorized" error while loading
/// this page." as in the capture in GothenburgBitFactory/bugwarrior#689).
pub fn unauthorized_page(reason: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>Unauthorized (401)</title></head><body>\n\
<h1>Unauthorized (401)</h1>\n<p>Encountered a &quot;401 - Unauthorized&quot; error while loading this page.</p>\n\
<p>Basic Authentication Failure - Reason : {}</p>\n<a href=\"/\">Go to Jira home</a>\n</body></html>\n",
        esc(reason)
    )
}

/// Body of the CAPTCHA lock-out 403. The status and headers are documented (see
/// `http::captcha_denied`); the page text is *unconfirmed* (clients read the headers: pycontribs/
/// jira reports the `X-Authentication-Denied-Reason` value as the error text, #733).
pub fn captcha_denied_page() -> String {
    "<!DOCTYPE html>\n<html><head><title>Forbidden (403)</title></head><body>\n\
<h1>Forbidden (403)</h1>\n<p>Encountered a &quot;403 - Forbidden&quot; error while loading this page.</p>\n\
<p>Basic Authentication Failure - Reason : AUTHENTICATION_DENIED</p>\n<a href=\"/\">Go to Jira home</a>\n</body></html>\n"
        .to_owned()
}

/// The message of the `server-error` scenario's 500. Jira puts Java exception text into its error
/// collection (fixture `error.400-errorMessages-only.server-sdk.jira-ruby.json` shows the shape);
/// a 500 carrying it is the simulator's assumption (*unconfirmed*).
pub fn server_error_message() -> &'static str {
    "java.lang.RuntimeException: com.atlassian.jira.exception.DataAccessException: org.ofbiz.core.entity.GenericDataSourceException: Unable to establish a connection with the database."
}

/// A generic nginx welcome page (the not-Jira scenario at `/`; nginx's stock `index.html`).
pub fn nginx_welcome() -> String {
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n\
<p>If you see this page, the nginx web server is successfully installed and working. Further configuration is required.</p>\n\
</body>\n</html>\n"
        .to_owned()
}

/// A generic nginx 404 page (nginx's built-in error page: `<center><h1>404 Not Found</h1>`, CRLF).
pub fn nginx_404() -> String {
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
        .to_owned()
}

/// Tomcat's 404 page for paths outside Jira's context path.
pub fn tomcat_404(path: &str) -> String {
    tomcat_status(
        "404 – Not Found",
        path,
        "The origin server did not find a current representation for the target resource or is not willing to disclose that one exists.",
    )
}

/// Tomcat's "Status Report" error page (`ErrorReportValve`), as Jira DC sends it for errors no
/// servlet renders itself: title `HTTP Status <code> – <reason>`, then Type, Message and
/// Description (a DC 429 captured in ahungry/org-jira#365 has exactly this layout).
pub fn tomcat_status(status: &str, message: &str, description: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><title>HTTP Status {status}</title></head><body>\
<h1>HTTP Status {status}</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p>\
<p><b>Message</b> {}</p><p><b>Description</b> {}</p>\
<hr class=\"line\" /><h3>Apache Tomcat/9.0.82</h3></body></html>",
        esc(message),
        esc(description)
    )
}

/// The body of Jira DC's 429: Tomcat's status page with "Rate limit exceeded." (captured from a DC
/// instance with rate limiting on in ahungry/org-jira#365).
pub fn rate_limited_page() -> String {
    tomcat_status(
        "429 – Too Many Requests",
        "Rate limit exceeded.",
        "The user has sent too many requests in a given amount of time (\"rate limiting\").",
    )
}
